"""Every error prestasync raises on purpose, as one tree. Standard library only.

    PrestasyncError            any error meant for a person; `str()` is one line they can act on
    ├── NotFoundError          what was asked for does not exist                     API 404 · CLI exit 1
    │   ├── JobNotFound
    │   ├── ShopNotFound
    │   ├── ProductNotFound
    │   └── ImageNotFound
    ├── InvalidInput           a request or argument malformed or out of range     API 422 · CLI exit 2
    │   ├── ShopError          a shop's name, URL or key is unusable
    │   ├── AccountError       a user name, password or token is unusable
    │   ├── FileRejected       a catalogue file (or its profile) cannot be read as asked
    │   └── TooLarge           an upload over the size limit, refused before it is read  API 413
    ├── Refused                a valid request the present state refuses           API 409 · CLI exit 1
    │   ├── InvalidTransition  a job state change its current state does not allow
    │   └── ControlError       cancel / retry / confirm / start refused by the job rules
    ├── JobError               a job-level failure (shop deleted, shop down); the job fails with it
    ├── ItemError              one item cannot be handled as it is; that item fails with the message
    ├── Unavailable            a service we depend on is down (database, queue)    API 503 · CLI exit 1
    ├── ConfigError            the installation is misconfigured                    API 500 · CLI exit 1
    │   └── VaultError         a stored shop key cannot be decrypted (secret key changed)
    └── RemoteError            the CLI's remote server refused a call or could not be reached (CLI exit 1)

`JobCancelled` is not an error but control flow: a job body raises it to stop at the next item
once a cancel was seen, like huey's `CancelExecution`.

A shop's own failures are `prestasync.prestashop.PrestaShopError` (the client's tree, which
imports nothing from here); the API maps them to 502 and the CLI to exit 1. Anything else that
escapes is a bug: the API answers 500 without details and logs the traceback, the CLI prints the
traceback. The two tables that map this tree live in `web/errors.py` and `cli/__init__.py`.
"""

from __future__ import annotations


class PrestasyncError(Exception):
    """The root: an error whose message is written for the person who caused or can fix it."""


class NotFoundError(PrestasyncError):
    """The job, shop, product or other record asked for does not exist."""


class JobNotFound(NotFoundError):
    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} does not exist")
        self.job_id = job_id


class ShopNotFound(NotFoundError):
    """No shop with that id or name."""


class ProductNotFound(NotFoundError):
    def __init__(self, product_id: int) -> None:
        super().__init__(f"product {product_id} does not exist")
        self.product_id = product_id


class ImageNotFound(NotFoundError):
    """No image record with that id, or its bytes are missing from the data dir."""

    def __init__(self, image_id: int) -> None:
        super().__init__(f"image {image_id} does not exist")
        self.image_id = image_id


class InvalidInput(PrestasyncError):
    """Malformed or out-of-range input: sending it again unchanged fails again."""


class ShopError(InvalidInput):
    """A shop could not be registered or changed: its name, URL or key is unusable."""


class AccountError(InvalidInput):
    """A user name, password or API token is unusable."""


class FileRejected(InvalidInput):
    """A catalogue file cannot be read as asked: its format, encoding, header or profile; the
    message names the row (and byte) where it can."""


class TooLarge(InvalidInput):
    """An upload or file over a configured size limit, refused before it is read."""


class Refused(PrestasyncError):
    """A well-formed request that the present state of things refuses."""


class InvalidTransition(Refused):
    """A job state change the job's current state does not allow."""

    def __init__(self, job_id: int, current: str, target: str) -> None:
        super().__init__(f"job {job_id}: cannot go from {current} to {target}")
        self.job_id, self.current, self.target = job_id, current, target


class ControlError(Refused):
    """A start, cancel, retry or confirm the job rules refuse; the message says why."""


class JobError(PrestasyncError):
    """A job-level failure (the shop was deleted, the shop is down); the job fails with this message."""


class ItemError(PrestasyncError):
    """One item (a product, a file row) cannot be handled as it is; it fails, the job goes on."""


class Unavailable(PrestasyncError):
    """A service prestasync depends on (database, queue) cannot be reached."""


class ConfigError(PrestasyncError):
    """The installation is misconfigured; an operator has to fix the settings."""


class VaultError(ConfigError):
    """A stored secret could not be decrypted (wrong or changed secret key)."""


class RemoteError(PrestasyncError):
    """The remote prestasync server refused a call or could not be reached (CLI remote mode)."""


class JobCancelled(Exception):
    """Raised inside a job body once a cancel was requested; the job stops at this item."""
