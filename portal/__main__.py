"""`portal COMMAND` (or `python -m portal COMMAND`): Django's management commands from the installed package.

The image installs the wheel and has no source tree, so no manage.py: its Dockerfile, docker-compose.yml and the
test that installs the wheel (tests/portal/test_installed_package.py) all run commands through this.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.core.management import execute_from_command_line

    # Help and errors then say `portal migrate`, not `__main__.py migrate`.
    execute_from_command_line(["portal", *sys.argv[1:]])


if __name__ == "__main__":
    main()
