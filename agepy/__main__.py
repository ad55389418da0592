"""`python -m agepy` runs the command line."""

from agepy.cli import main

if __name__ == "__main__":
    main()
