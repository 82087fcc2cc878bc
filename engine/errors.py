"""Errors a user can read.

Every failure that reaches a person is an `AtelierError` whose message says what happened and what to
do; the CLI prints it without a traceback and the GUI shows it in the window.
"""


class AtelierError(Exception):
    """A failure with a message meant for a person, not a developer."""


class ImageReadError(AtelierError):
    """An input image could not be read (missing, truncated, not an image, too large...)."""


class StyleFileError(AtelierError):
    """A style file is missing, corrupt, hostile or does not match its declared architecture."""


class DeviceError(AtelierError):
    """A requested device does not exist or cannot run the model."""


class UnexpectedPhotoError(AtelierError):
    """Something no check foresaw went wrong with one photo of a batch (a bug): that photo fails, saying
    what happened, and the others go on (DESIGN.md section 5; engine.batch ends the batch only when
    several in a row fail so, which is then not about a photo)."""


class OutputError(AtelierError):
    """An output could not be written (read-only or full folder, bad name...)."""


class DataCheckError(AtelierError):
    """Training material does not pass the checks that run before training starts."""


class Cancelled(Exception):  # noqa: N818 - it is a control-flow signal, not an error
    """Raised at a progress point when the job's cancel token is set."""
