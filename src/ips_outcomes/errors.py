"""Errors that describe a problem with the user's input or configuration.

The command line and the Snakemake adapters catch :class:`InputError` and print its message
alone, so a data problem never reaches the user as a Python traceback.
"""


class InputError(Exception):
    """The input folder, a file in it, or the configuration cannot be used as it is.

    The message must say which file (and column, where there is one) is at fault and what to do,
    and must never contain a raw value of an identifier-like field.
    """


class NationalIdError(InputError):
    """A file holds valid national identity numbers and was refused as a whole."""
