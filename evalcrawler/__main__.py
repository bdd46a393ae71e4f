"""``python -m evalcrawler`` runs the command-line interface."""

from evalcrawler.cli import main

if __name__ == "__main__":
    main(prog_name="evalcrawl")
