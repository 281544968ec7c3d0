"""`sexp …` (the console script pip installs) and `python -m sexp …`: the
libsexp command-line tool (`sexp --help`), which pip installs inside the
package (sexp/_bin/sexp)."""
import os
import pathlib
import sys


def main() -> None:
    """Runs the bundled `sexp` CLI with this process's arguments."""
    cli = pathlib.Path(__file__).resolve().parent / "_bin" / "sexp"
    if not cli.exists():
        sys.exit("sexp: the CLI is not in this package (%s); a build tree has it at "
                 "build/tools/sexp" % cli)
    os.execv(str(cli), [str(cli), *sys.argv[1:]])


if __name__ == "__main__":
    main()
