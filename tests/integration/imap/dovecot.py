"""A real Dovecot (imapd + lmtpd) on loopback, run rootless as `nobody`, for the IMAP poller tests."""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.net import free_port

DOVECOT = "/usr/sbin/dovecot"
NOBODY_UID = 65534
NOGROUP_GID = 65534

CONFIG = """\
protocols = imap lmtp
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
listen = 127.0.0.1
ssl = yes
ssl_cert = <{base}/cert.pem
ssl_key = <{base}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_login_user = {user}
default_internal_group = {group}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{base}/mail/%u
mail_fsync = never
mailbox_idle_check_interval = 1 secs
imap_idle_notify_interval = 2 mins
protocol imap {{
  mail_max_userip_connections = 100
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
passdb {{
  driver = passwd-file
  args = {base}/users
}}
userdb {{
  driver = passwd-file
  args = {base}/users
}}
"""


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not listen on {port} within {timeout}s")


def _current_user_and_group() -> tuple[str, str]:
    return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name


def dovecot_missing_reason() -> str | None:
    """Why Dovecot cannot run here, or None when it can."""
    if not Path(DOVECOT).exists():
        return f"{DOVECOT} is not installed (apt-get install dovecot-imapd dovecot-lmtpd)"
    if shutil.which("openssl") is None:
        return "openssl is missing (it makes the certificate of the imaps listener)"
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "setpriv (util-linux) is missing; it drops root to nobody for Dovecot"
    return None  # as root Dovecot runs as nobody, otherwise as the current user


@dataclass
class Dovecot:
    """One Dovecot instance with plain-password users; mailboxes are Maildirs under `base`/mail."""

    base: Path
    imap_port: int = 0
    imaps_port: int = 0
    lmtp_port: int = 0
    users: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def create(cls, users: dict[str, str]) -> Dovecot:
        base = Path(tempfile.mkdtemp(prefix="mg-dovecot-"))
        ports = {"imap_port": free_port(), "imaps_port": free_port(), "lmtp_port": free_port()}
        server = cls(base=base, users=dict(users), **ports)
        server._write_files()
        return server

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    def _write_files(self) -> None:
        for sub in ("run", "state", "mail"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        uid, gid = (NOBODY_UID, NOGROUP_GID) if self.as_root else (os.getuid(), os.getgid())
        lines = [
            f"{user}:{{PLAIN}}{pw}:{uid}:{gid}::{self.base}/mail/{user}\n" for user, pw in self.users.items()
        ]
        (self.base / "users").write_text("".join(lines))
        user, group = ("nobody", "nogroup") if self.as_root else _current_user_and_group()
        self._make_certificate()
        conf = CONFIG.format(
            base=self.base,
            imap_port=self.imap_port,
            imaps_port=self.imaps_port,
            lmtp_port=self.lmtp_port,
            user=user,
            group=group,
        )
        (self.base / "dovecot.conf").write_text(conf)
        self.fix_ownership()

    @property
    def certificate(self) -> Path:
        """The self-signed certificate (for 127.0.0.1) the imaps listener presents."""
        return self.base / "cert.pem"

    def _make_certificate(self) -> None:
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", str(self.base / "key.pem"), "-out", str(self.certificate),
            ],
            check=True, capture_output=True,
        )  # fmt: skip

    def fix_ownership(self) -> None:
        """Give everything under base to nobody (Dovecot runs as nobody when the tests run as root)."""
        if not self.as_root:
            return
        os.chown(self.base, NOBODY_UID, NOGROUP_GID)
        for root, dirs, files in os.walk(self.base):
            for name in dirs + files:
                os.lchown(os.path.join(root, name), NOBODY_UID, NOGROUP_GID)

    def start(self, timeout: float = 15.0) -> None:
        command = [DOVECOT, "-F", "-c", str(self.base / "dovecot.conf")]
        if self.as_root:
            command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_for_port(self.imap_port, self.process, timeout)
        _wait_for_port(self.imaps_port, self.process, timeout)
        _wait_for_port(self.lmtp_port, self.process, timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def log(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- mailboxes -------------------------------------------------------------------------

    def maildir(self, user: str, folder: str = "INBOX") -> Path:
        root = self.base / "mail" / user
        return root if folder == "INBOX" else root / f".{folder}"

    def deliver(self, user: str, mails: Iterable[bytes]) -> None:
        """Deliver mails through Dovecot's LMTP listener (assigns UIDs as a real MTA delivery would)."""
        with smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=30) as lmtp:
            for raw in mails:
                lmtp.sendmail("sender@example.org", [user], raw)

    def write_maildir(self, user: str, mails: Iterable[bytes], folder: str = "INBOX") -> int:
        """Drop mails straight into the Maildir's new/ (fast seeding of big backlogs); returns the count."""
        box = self.maildir(user, folder)
        for sub in ("new", "cur", "tmp"):
            (box / sub).mkdir(parents=True, exist_ok=True)
        count = 0
        stamp = int(time.time())
        for count, raw in enumerate(mails, start=1):
            (box / "new" / f"{stamp}.M{count}P{os.getpid()}.mgtest").write_bytes(raw)
        self.fix_ownership()
        return count

    def remove_mailbox(self, user: str) -> None:
        """Delete the user's whole mail store, so the next login starts with a new UIDVALIDITY."""
        shutil.rmtree(self.base / "mail" / user, ignore_errors=True)

    def imap_pids(self) -> list[int]:
        """Process ids of Dovecot's `imap` worker processes (one per logged-in session)."""
        out = subprocess.run(["pgrep", "-x", "imap"], capture_output=True, text=True, check=False).stdout
        mine = []
        for pid in (int(line) for line in out.split()):
            try:
                cmdline = Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                continue
            if str(self.base).encode() in cmdline or self._belongs(pid):
                mine.append(pid)
        return mine

    def _belongs(self, pid: int) -> bool:
        if self.process is None:
            return False
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid

    def kill_imap_sessions(self) -> int:
        """SIGKILL every imap session process of this server (the client sees its connection drop)."""
        pids = self.imap_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)


@contextlib.contextmanager
def running_dovecot(users: dict[str, str]) -> Iterator[Dovecot]:
    """A started Dovecot with these users, removed afterwards; skips (fails under CI=true) without one."""
    reason = dovecot_missing_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and Dovecot cannot run: {reason}")
        pytest.skip(reason)
    server = Dovecot.create(users)
    try:
        server.start()
    except RuntimeError as exc:
        log = server.log()
        server.cleanup()
        pytest.fail(f"Dovecot did not start: {exc}\n{log[-2000:]}")
    try:
        yield server
    finally:
        server.cleanup()
