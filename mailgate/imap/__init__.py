"""IMAP pollers: fetch mail from Znuny's mail_account mailboxes into the inbound spool, in UID batches."""
