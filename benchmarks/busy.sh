#!/bin/bash
# The CPU a command costs on the whole machine, for a command that starts processes of its own:
#   benchmarks/busy.sh casenotes score export.csv --notes n.parquet --jobs 2 --quiet
# prints the command's wall time, the cores' busy and idle seconds over it (from /proc/stat,
# so Linux only, and anything else running counts too) and the main process's own CPU.
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
read -r _ u n s i w x y z _ < /proc/stat
start=$(date +%s.%N)
/usr/bin/time -o "$timing" -f "main process: %U s user, %S s system, %M KB peak RSS" "$@"
status=$?
end=$(date +%s.%N)
read -r _ u2 n2 s2 i2 w2 x2 y2 z2 _ < /proc/stat
busy=$(( (u2+n2+s2+x2+y2+z2) - (u+n+s+x+y+z) ))
idle=$(( (i2+w2) - (i+w) ))
python3 -c "print(f'wall {($end-$start):.2f} s; cores busy {$busy/100:.2f} s, idle {$idle/100:.2f} s')"
tail -1 "$timing"
exit $status
