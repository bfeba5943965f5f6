"""``geo-tenglong sample DIR``: write the bundled sample counties into a folder."""

from __future__ import annotations

from pathlib import Path

import click

from .options import quiet_opt


@click.command("sample")
@click.argument("folder", type=click.Path(file_okay=True, path_type=Path))
@quiet_opt
def sample_cmd(folder: Path, quiet: bool) -> None:
    """Write the bundled sample county (样例数据) into FOLDER (new or empty).

    FOLDER gets 天台县 (ruleset tiantai-2022) and FOLDER/deqing 德清县 (deqing-2021): layers,
    tables, land-cover rasters, 界址点 files and workspace.toml. Then: `geo-tenglong run FOLDER`.
    """
    from ..sample import write_sample

    dest = write_sample(folder)
    if not quiet:
        click.echo(f"已写出样例数据 (sample written): {dest}  天台县; {dest / 'deqing'}  德清县")
        click.echo(f"下一步 (next): geo-tenglong run {dest}")
