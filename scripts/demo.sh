# demo.sh - what `make run` shows: busybox's shell running inside a Kiln image.
# Real commands now: each is a process of its own (fork, execve of busybox
# as the applet, wait), and a pipeline runs them side by side.
echo "Hello from busybox sh, running unmodified as a Kiln unikernel"
echo "kernel: $(cat /proc/version)"
echo "pid $$, user $USER, in $PWD"
echo "the image's root file system (ls / | sed):"
ls -1p / | sed 's/^/  /'
echo "memory (head -n 2 /proc/meminfo | tr -s ' '):"
head -n 2 /proc/meminfo | tr -s ' ' | sed 's/^/  /'
echo "a pipeline (echo | tr | sort | wc -l): $(echo kiln runs processes | tr ' ' '\n' | sort | wc -l) words"
sh -c 'exit 3' &
wait $!
echo "a background job (sh -c 'exit 3' &), then wait: status $?"
