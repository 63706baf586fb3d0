/* http_server.c - guest test: a static-file HTTP/1.1 server on epoll. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/*
 * usage: http_server PORT DIR. Serves the regular files under DIR on
 * 0.0.0.0:PORT to GET and HEAD, HTTP/1.0 and 1.1, with keep-alive (1.1's
 * default; "Connection: close" honoured) and pipelining. Prints
 * "http_server: listening on PORT" once it accepts connections.
 *
 * Answers, each with Content-Length and "Connection: keep-alive|close":
 *   200  the file ("/" and ".../" mean index.html); HEAD: headers only
 *   400  a request that does not parse (then the connection is closed)
 *   403  a path with a ".." segment (after %-decoding)
 *   404  anything that is not a regular file under DIR
 *   405  a method other than GET and HEAD
 * Error bodies are one line of text, e.g. "404 Not Found\n".
 *
 * One thread, non-blocking sockets, level-triggered epoll: a connection
 * waits for EPOLLIN while it reads a request and for EPOLLOUT while its
 * answer does not fit the socket. Bodies go out with sendfile(2), or
 * pread+send where the kernel has no sendfile (ENOSYS). A peer that goes
 * away mid-answer (EPIPE, ECONNRESET) loses its connection only.
 *
 * GET /__quit answers "bye\n" and stops the server: once that client has
 * read everything and closed (or 2 s passed), every connection is closed,
 * "http_server: served N requests" is printed (N counts every answer, the
 * quit's included) and the status is 0. A setup failure prints
 * "http_server: FAIL <what> (errno NAME)" and exits 1.
 */
#define IN_MAX 8192   /* a request's head must fit */
#define OUT_MAX 16384 /* headers, small bodies, pread chunks */
#define MAX_EVENTS 64
#define QUIT_LINGER_MS 2000
#define SERVER "kiln-http"

struct conn {
	struct conn *next, *prev; /* all open connections */
	int fd;
	char in[IN_MAX];
	size_t in_len;
	size_t skip; /* request body bytes still to discard */
	char out[OUT_MAX];
	size_t out_len, out_off;
	int file; /* body source, or -1 */
	off_t file_off, file_end;
	bool keep;	       /* keep the connection after this answer */
	bool closing;	       /* the queued answer is the last */
	bool peer_eof;	       /* the peer sent FIN: answer, then close */
	bool draining;	       /* our FIN is sent: read until the peer's */
	bool quit;	       /* the answer to /__quit */
	unsigned int interest; /* EPOLLIN or EPOLLOUT, as registered */
};

static int epfd;
static struct conn *conns;
static long served;
static bool use_sendfile = true;
static struct conn *quitter; /* set once /__quit is answered */
static bool quit_done;

static void set_interest(struct conn *c, unsigned int ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (c->interest == ev)
		return;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) < 0)
		fail("epoll_ctl MOD");
	c->interest = ev;
}

static void conn_close(struct conn *c)
{
	if (c->file >= 0)
		close(c->file);
	close(c->fd); /* also leaves the epoll set */
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c == quitter)
		quit_done = true;
	free(c);
}

static void accept_all(int lfd)
{
	int one = 1;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event e = { .events = EPOLLIN };
		struct conn *c;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return; /* EAGAIN, or out of fds/memory: try later */
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		c->file = -1;
		c->interest = EPOLLIN;
		e.data.ptr = c;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0)
			fail("epoll_ctl ADD");
		c->next = conns;
		if (conns)
			conns->prev = c;
		conns = c;
	}
}

/* ---- Requests ---- */

struct request {
	char *method, *target;
	bool http11, head, keep;
	long long body; /* Content-Length, 0 when absent */
};

/* The length of the head in buf (through its empty line), or 0. */
static size_t head_length(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* The next line of the head at *p, NUL-terminated without its CR LF. */
static char *next_line(char **p)
{
	char *line = *p, *nl = strchr(line, '\n');

	if (nl == NULL)
		return NULL;
	*nl = '\0';
	if (nl > line && nl[-1] == '\r')
		nl[-1] = '\0';
	*p = nl + 1;
	return line;
}

static bool is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) &&
		    !strchr("!#$%&'*+-.^_`|~", *s))
			return false;
	return true;
}

/* A header value names token (a comma-separated list, any case). */
static bool has_token(const char *value, const char *token)
{
	size_t n = strlen(token);

	for (const char *p = value; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (strncasecmp(p, token, n) == 0 &&
		    strchr(" \t,", p[n] ? p[n] : ' '))
			return true;
		while (*p && *p != ',')
			p++;
	}
	return false;
}

/* One "Name: value" line into r: 0, or -1 when it is malformed. */
static int parse_header(struct request *r, char *line)
{
	char *colon = strchr(line, ':'), *value, *end;

	if (colon == NULL)
		return -1;
	*colon = '\0';
	if (!is_token(line))
		return -1;
	for (value = colon + 1; *value == ' ' || *value == '\t'; value++)
		;
	if (strcasecmp(line, "Connection") == 0) {
		if (has_token(value, "close"))
			r->keep = false;
		else if (has_token(value, "keep-alive"))
			r->keep = true;
	} else if (strcasecmp(line, "Content-Length") == 0) {
		if (!isdigit((unsigned char)*value))
			return -1;
		errno = 0;
		r->body = strtoll(value, &end, 10);
		while (*end == ' ' || *end == '\t')
			end++;
		if (errno || *end)
			return -1;
	} else if (strcasecmp(line, "Transfer-Encoding") == 0) {
		return -1; /* no chunked request bodies here */
	}
	return 0;
}

/* The head in buf (NUL-terminated) into r: 0, or -1 when malformed. */
static int parse_request(struct request *r, char *buf)
{
	char *p = buf, *line, *sp1, *sp2;

	while (*p == '\r' || *p == '\n') /* RFC 9112 2.2: skip them */
		p++;
	line = next_line(&p);
	if (line == NULL || (sp1 = strchr(line, ' ')) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL || strchr(sp2 + 1, ' '))
		return -1;
	*sp1 = *sp2 = '\0';
	r->method = line;
	r->target = sp1 + 1;
	if (!is_token(r->method) || r->target[0] != '/')
		return -1;
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		r->http11 = true;
	else if (strcmp(sp2 + 1, "HTTP/1.0") != 0)
		return -1;
	r->keep = r->http11;
	r->head = strcmp(r->method, "HEAD") == 0;
	while ((line = next_line(&p)) != NULL && *line)
		if (parse_header(r, line) < 0)
			return -1;
	return 0;
}

static int hexval(int ch)
{
	if (isdigit(ch))
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/*
 * The target's path, %-decoded, without its query and leading slashes,
 * into out (index.html for a directory): 0, -400 (bad escape, NUL) or
 * -403 (a ".." segment).
 */
static int target_path(const char *target, char *out, size_t size)
{
	size_t n = 0;
	const char *seg;

	for (const char *p = target; *p && *p != '?' && *p != '#'; p++) {
		int ch = (unsigned char)*p, hi, lo;

		if (ch == '%') {
			hi = hexval((unsigned char)p[1]);
			lo = hi < 0 ? -1 : hexval((unsigned char)p[2]);
			if (lo < 0 || (ch = hi * 16 + lo) == 0)
				return -400;
			p += 2;
		}
		if ((ch == '/' && (n == 0 || out[n - 1] == '/')) ||
		    n + 12 >= size)
			continue; /* leading and doubled slashes */
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	for (seg = out; seg; seg = strchr(seg, '/'), seg = seg ? seg + 1 : NULL)
		if (strncmp(seg, "..", 2) == 0 && (seg[2] == '/' || !seg[2]))
			return -403;
	if (n == 0 || out[n - 1] == '/')
		strcpy(out + n, "index.html");
	return 0;
}

static const char *content_type(const char *path)
{
	static const char *const types[][2] = {
		{ ".html", "text/html" },     { ".htm", "text/html" },
		{ ".txt", "text/plain" },     { ".css", "text/css" },
		{ ".js", "text/javascript" }, { ".json", "application/json" },
		{ ".png", "image/png" },      { ".jpg", "image/jpeg" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i][0]) == 0)
			return types[i][1];
	return "application/octet-stream";
}

/* ---- Answers ---- */

/* Status line and headers into c->out; the body, if any, follows. */
static void put_head(struct conn *c, const char *status, const char *type,
		     long long length, const char *extra)
{
	int n = snprintf(c->out, sizeof(c->out),
			 "HTTP/1.1 %s\r\nServer: " SERVER "\r\n"
			 "Content-Type: %s\r\nContent-Length: %lld\r\n"
			 "%sConnection: %s\r\n\r\n",
			 status, type, length, extra,
			 c->keep ? "keep-alive" : "close");

	c->out_off = 0;
	c->out_len = (size_t)n;
	c->closing = !c->keep;
	served++;
}

/* A short answer whose body is text (the status line for errors). */
static void answer_text(struct conn *c, const char *status, const char *text,
			const char *extra, bool head)
{
	size_t len = strlen(text);

	put_head(c, status, "text/plain", (long long)len, extra);
	if (!head) {
		memcpy(c->out + c->out_len, text, len);
		c->out_len += len;
	}
}

static void answer_error(struct conn *c, int code, bool head)
{
	static const char *const text[][2] = {
		{ "400 Bad Request", "400 Bad Request\n" },
		{ "403 Forbidden", "403 Forbidden\n" },
		{ "404 Not Found", "404 Not Found\n" },
		{ "405 Method Not Allowed", "405 Method Not Allowed\n" },
	};
	int i = code == 400 ? 0 : code == 403 ? 1 : code == 404 ? 2 : 3;

	answer_text(c, text[i][0], text[i][1],
		    code == 405 ? "Allow: GET, HEAD\r\n" : "", head);
}

/* The file at path under root, as 200 with its body to follow. */
static void answer_file(struct conn *c, int root, const char *path, bool head)
{
	int fd = openat(root, path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		answer_error(c, 404, head);
		return;
	}
	put_head(c, "200 OK", content_type(path), (long long)st.st_size, "");
	if (head || st.st_size == 0) {
		close(fd);
		return;
	}
	c->file = fd;
	c->file_off = 0;
	c->file_end = st.st_size;
	/* A body that fits goes out with the headers, in one segment. */
	if (st.st_size <= (off_t)(sizeof(c->out) - c->out_len)) {
		n = pread(fd, c->out + c->out_len, (size_t)st.st_size, 0);
		if (n == st.st_size) {
			c->out_len += (size_t)n;
			c->file_off = st.st_size;
		}
	}
}

/* Answer the request whose head is c->in[0..len) (len includes its end). */
static void answer(struct conn *c, int root, size_t len)
{
	struct request r = { 0 };
	char path[1024];
	int err;

	c->in[len - 1] = '\0'; /* the head's last '\n' */
	if (memchr(c->in, '\0', len - 1) || parse_request(&r, c->in) < 0 ||
	    r.body < 0) {
		c->keep = false;
		answer_error(c, 400, false);
		return;
	}
	c->keep = r.keep;
	c->skip = (size_t)r.body;
	if (!r.head && strcmp(r.method, "GET") != 0) {
		answer_error(c, 405, r.head);
		return;
	}
	if (strcmp(r.target, "/__quit") == 0 && !r.head) {
		c->keep = false;
		c->quit = true;
		answer_text(c, "200 OK", "bye\n", "", false);
		return;
	}
	err = target_path(r.target, path, sizeof(path));
	if (err == -400)
		c->keep = false;
	if (err)
		answer_error(c, -err, r.head);
	else
		answer_file(c, root, path, r.head);
}

/* ---- Sending ---- */

/* 1 on progress, 0 when the socket is full, -1 when the peer is gone. */
static int io_result(ssize_t n)
{
	if (n >= 0)
		return 1;
	return errno == EAGAIN || errno == EINTR ? 0 : -1;
}

/*
 * Moves the body of c on from its file: with sendfile straight to the
 * socket, else a chunk into c->out (to be sent as headers are). The first
 * sendfile's ENOSYS or EINVAL turns sendfile off for good.
 */
static int body_step(struct conn *c)
{
	static bool sendfile_works;
	off_t left = c->file_end - c->file_off;
	ssize_t n;

	if (use_sendfile) {
		n = sendfile(c->fd, c->file, &c->file_off, (size_t)left);
		if (n < 0 && !sendfile_works &&
		    (errno == ENOSYS || errno == EINVAL)) {
			use_sendfile = false;
			return 1;
		}
		sendfile_works = true;
		return n == 0 ? -1 : io_result(n); /* 0: the file shrank */
	}
	n = pread(c->file, c->out,
		  left < (off_t)sizeof(c->out) ? (size_t)left : sizeof(c->out),
		  c->file_off);
	if (n <= 0)
		return -1;
	c->file_off += n;
	c->out_off = 0;
	c->out_len = (size_t)n;
	return 1;
}

/*
 * Sends what c has queued: 1 when all is out, 0 when the socket is full,
 * -1 when the peer is gone (EPIPE, ECONNRESET...).
 */
static int flush(struct conn *c)
{
	int r = 1;

	while (r == 1) {
		if (c->out_off < c->out_len) {
			int more = c->file_off < c->file_end ? MSG_MORE : 0;
			ssize_t n = send(c->fd, c->out + c->out_off,
					 c->out_len - c->out_off,
					 MSG_NOSIGNAL | more);

			r = io_result(n);
			if (r == 1)
				c->out_off += (size_t)n;
		} else if (c->file_off < c->file_end) {
			r = body_step(c);
		} else {
			break;
		}
	}
	if (r < 1)
		return r;
	if (c->file >= 0) {
		close(c->file);
		c->file = -1;
	}
	c->out_off = c->out_len = 0;
	return 1;
}

/* Drops n bytes from the front of c->in. */
static void consume(struct conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

/* Drops what is buffered of a request body we do not use. */
static void skip_body(struct conn *c)
{
	size_t k = c->skip < c->in_len ? c->skip : c->in_len;

	consume(c, k);
	c->skip -= k;
}

/* Reads what is there: false when the connection was closed. */
static bool fill(struct conn *c)
{
	while (!c->peer_eof && c->in_len < sizeof(c->in)) {
		ssize_t n = recv(c->fd, c->in + c->in_len,
				 sizeof(c->in) - c->in_len, 0);

		if (n == 0) {
			c->peer_eof = true;
		} else if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(c);
			return false;
		} else {
			c->in_len += (size_t)n;
		}
		skip_body(c);
	}
	return true;
}

/* Our answers are done and our FIN is out: wait for the peer's. */
static void drain(struct conn *c)
{
	char sink[4096];
	ssize_t n;

	while ((n = recv(c->fd, sink, sizeof(sink), 0)) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		conn_close(c);
	else
		set_interest(c, EPOLLIN);
}

/* Everything c can do now: send, read, answer, until it must wait. */
static void conn_run(struct conn *c, int root)
{
	size_t len;
	int r;

	if (c->draining) {
		drain(c);
		return;
	}
	for (;;) {
		r = flush(c);
		if (r < 0) {
			conn_close(c);
			return;
		}
		if (r == 0) {
			set_interest(c, EPOLLOUT);
			return;
		}
		if (c->closing) {
			/* The last answer is out: close after the peer. */
			if (c->quit)
				quitter = c;
			c->draining = true;
			shutdown(c->fd, SHUT_WR);
			drain(c);
			return;
		}
		if (!fill(c))
			return;
		len = head_length(c->in, c->in_len);
		if (len) {
			answer(c, root, len);
			consume(c, len);
			skip_body(c);
			continue;
		}
		if (c->in_len == sizeof(c->in)) {
			c->keep = false;
			answer_error(c, 400, false);
			continue;
		}
		if (c->peer_eof) {
			conn_close(c);
			return;
		}
		set_interest(c, EPOLLIN);
		return;
	}
}

/* Serve until /__quit is answered and its client is gone (or late). */
static void serve(int lfd, int root)
{
	struct epoll_event evs[MAX_EVENTS];
	long long deadline = 0;
	int n, wait_ms = -1;

	while (!quit_done) {
		if (quitter && !deadline)
			deadline = now_ms() + QUIT_LINGER_MS;
		if (deadline) {
			wait_ms = (int)(deadline - now_ms());
			if (wait_ms <= 0)
				break; /* that client did not close in time */
		}
		n = epoll_wait(epfd, evs, MAX_EVENTS, wait_ms);
		if (n < 0 && errno != EINTR)
			fail("epoll_wait");
		for (int i = 0; i < n && !quit_done; i++) {
			if (evs[i].data.ptr == NULL)
				accept_all(lfd);
			else
				conn_run(evs[i].data.ptr, root);
		}
	}
}

int main(int argc, char **argv)
{
	int port, lfd, root;
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };

	if (argc != 3 || (port = atoi(argv[1])) < 1 || port > 65535) {
		fprintf(stderr, "usage: http_server PORT DIR\n");
		return 2;
	}
	check_start("http_server");
	signal(SIGPIPE, SIG_IGN); /* MSG_NOSIGNAL too; sendfile has none */
	root = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		fail("open DIR");
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		fail("epoll_create1");
	lfd = server_socket(SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, port);
	if (listen(lfd, 1024) < 0)
		fail("listen");
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &e) < 0)
		fail("epoll_ctl ADD");
	printf("http_server: listening on %d\n", port);
	serve(lfd, root);
	while (conns)
		conn_close(conns);
	close(lfd);
	printf("http_server: served %ld requests\n", served);
	return 0;
}
