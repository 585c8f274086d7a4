# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the tests of the command-line tools in scripts/."""

import shlex


def tshark_wrapper(tshark, directory):
    """An executable that runs tshark as the tests' Tshark fixture does
    (as 'nobody' with the plugin of the build tree when root), for the
    tools' --tshark option."""
    path = directory / "tshark-as-test-user"
    path.write_text("#!/bin/sh\nexec " + shlex.join(tshark.command([])) + ' "$@"\n')
    path.chmod(0o755)
    return path
