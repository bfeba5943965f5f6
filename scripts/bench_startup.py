"""CPU and wall time of ``geo-tenglong --help`` and of every subcommand's ``--help``.

Each is run in a fresh interpreter (``python -c "from geo_tenglong.cli import main; main([...])"``),
three times; the best is printed, with the library modules the run imported. The target is
under 0.5 s of CPU (issue 16.3).

    python scripts/bench_startup.py
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time

HEAVY = ("geopandas", "pandas", "shapely", "matplotlib", "folium", "openpyxl", "scipy", "rasterio")
CODE = """
import sys
from geo_tenglong.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
sys.stderr.write("HEAVY:" + ",".join(m for m in {heavy!r} if m in sys.modules) + "\\n")
"""


def measure(args: list[str], repeat: int = 3) -> tuple[float, float, str]:
    """Best (CPU seconds, wall seconds) of ``repeat`` runs, and the heavy modules imported."""
    best_cpu = best_wall = float("inf")
    heavy = ""
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CODE.format(heavy=HEAVY), *args], capture_output=True,
                              text=True, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_cpu, best_wall = min(best_cpu, cpu), min(best_wall, wall)
        heavy = next((ln[6:] for ln in proc.stderr.splitlines() if ln.startswith("HEAVY:")), "?")
    return best_cpu, best_wall, heavy


def main() -> None:
    from geo_tenglong.cli import LAZY_COMMANDS

    print(f"{'command':34} {'CPU s':>7} {'wall s':>7}  imported")
    for name in ["", *sorted(LAZY_COMMANDS)]:
        args = [name, "--help"] if name else ["--help"]
        cpu, wall, heavy = measure(args)
        flag = "" if cpu < 0.5 else "  > 0.5 s"
        print(f"{'geo-tenglong ' + ' '.join(args):34} {cpu:7.2f} {wall:7.2f}  {heavy or '-'}{flag}")


if __name__ == "__main__":
    main()
