# nginx-master.sh - run nginx with its master and two workers until the
# client asks for /quit, then stop it gracefully (SIGQUIT to the master,
# as `nginx -s quit` does) and report: the master's exit status, and how
# many distinct workers served /index.html. Usage: sh nginx-master.sh
# NGINX CONF TMP (busybox sh: its applets run without /bin entries).
nginx=$1 conf=$2 tmp=$3
"$nginx" -e stderr -c "$conf" &
master=$!
# Stopped from outside (the test gave up): nginx goes with it.
trap 'kill -QUIT "$master"; wait "$master"; exit 1' TERM
until grep -q 'GET /quit' "$tmp/access.log" 2>/dev/null; do
    sleep 0.2
done
kill -QUIT "$master"
wait "$master"
echo "nginx exited $?"
workers=$(grep 'GET /index.html' "$tmp/access.log" | cut -d' ' -f1 | sort -u | wc -l)
echo "workers that served /index.html: $workers"
