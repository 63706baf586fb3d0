# demo.sh - what `make run` shows: busybox's shell running inside a Kiln image.
# Only shell builtins: a unikernel has one process, so nothing forks.
echo "Hello from busybox sh, running unmodified as a Kiln unikernel"
read -r version < /proc/version
echo "kernel: $version"
echo "pid $$, user $USER, in $PWD"
echo "the image's root file system:"
for f in /*; do
	if [ -d "$f" ]; then echo "  $f/"; else echo "  $f"; fi
done
i=0
while read -r line && [ $i -lt 2 ]; do
	echo "  $line"
	i=$((i + 1))
done < /proc/meminfo
