"""Print the README's benchmark table from a pytest-benchmark JSON report."""

from __future__ import annotations

import json
import platform
import sys


def main(path: str) -> None:
    report = json.load(open(path))
    info = report.get("machine_info", {})
    print(f"Machine: {info.get('cpu', {}).get('brand_raw', platform.processor())}, "
          f"{info.get('cpu', {}).get('count', '?')} cores, Python {info.get('python_version', '?')}\n")
    print("| case | seconds | rows | columns | binaries | status | MIP gap | peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    for b in report["benchmarks"]:
        x = b.get("extra_info", {})
        gap = x.get("mip_gap")
        print(f"| {b['name'].removeprefix('test_')} | {b['stats']['min']:.2f} | {x.get('rows', '')} | {x.get('columns', '')} | "
              f"{x.get('binaries', '')} | {x.get('status', '')} | {'' if gap is None else f'{gap:.4%}'} | "
              f"{x.get('peak_rss_mb', 0):.0f} |")


if __name__ == "__main__":
    main(sys.argv[1])
