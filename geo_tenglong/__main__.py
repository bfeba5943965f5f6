"""``python -m geo_tenglong``: the same as the ``geo-tenglong`` command."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="geo-tenglong")
