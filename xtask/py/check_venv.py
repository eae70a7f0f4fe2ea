"""Checks that this interpreter's packages match the pins of a requirements file.

Prints the torch package folder (what LIBTORCH points at) and exits 0, or names
every missing or mismatched package on stderr and exits 1. Torch is located
without being imported, so the check takes well under a second.
"""

import importlib.metadata
import importlib.util
import pathlib
import sys


def pins(requirements_path):
    for line in pathlib.Path(requirements_path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            yield name.strip(), version.strip()


def main():
    problems = []
    for name, wanted in pins(sys.argv[1]):
        try:
            found = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"{name}=={wanted} is not installed")
            continue
        if found.split("+")[0] != wanted:
            problems.append(f"{name}=={wanted} wanted, {found} installed")
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        problems.append("torch cannot be located")
    if problems:
        print("; ".join(problems), file=sys.stderr)
        sys.exit(1)
    print(pathlib.Path(spec.origin).parent)


if __name__ == "__main__":
    main()
