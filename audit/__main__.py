"""``python -m synthaudit`` runs the command line."""

from synthaudit.cli import main

if __name__ == "__main__":
    main()
