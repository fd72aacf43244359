"""Bulk import of mail from an mbox, a Maildir or a folder of .eml files into the inbound spool."""
