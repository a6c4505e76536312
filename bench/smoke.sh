# SPDX-License-Identifier: GPL-2.0-or-later
# make test's run of one benchmark at toy size: smoke.sh NAME DIR runs
# bench/NAME.sh --smoke and checks that every figure it must give is there
# (never how fast it was).
name=$1 dir=$2
bash "$BYOD_SRC/bench/$name.sh" --smoke --out "$dir" || { echo "bench/$name.sh failed" >&2; exit 1; }
/usr/bin/python3 "$BYOD_SRC/bench/report.py" --check "$name" "$dir"
