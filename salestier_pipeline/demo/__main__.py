"""``python -m salestier_pipeline.demo --landing DIR [--seed N] [--scale X] [--as-of YYYY-MM-DD]``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from salestier_pipeline.demo.generate import DEFAULT_AS_OF, generate_demo


def main(argv: list[str] | None = None) -> int:
    """Generate the demo landing zone and print the summary as JSON."""
    p = argparse.ArgumentParser(prog="python -m salestier_pipeline.demo", description=__doc__)
    p.add_argument("--landing", type=Path, required=True, help="landing directory to write")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--scale", type=float, default=1.0, help="1.0 = ~500 accounts, 3,000 deals")
    p.add_argument("--as-of", type=dt.date.fromisoformat, default=DEFAULT_AS_OF,
                   help="date of the last export batch (YYYY-MM-DD)")
    args = p.parse_args(argv)
    summary = generate_demo(args.landing, seed=args.seed, scale=args.scale, as_of=args.as_of)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
