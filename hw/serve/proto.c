/*
 * The wire protocol's helpers (described in serve.h): message sizes and
 * checks, one-packet send / receive, the clock, the default socket path.
 * libc only: linked into libhipsched.so too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "serve.h"

#define HDR sizeof(struct hs_msg_hdr)

_Static_assert(sizeof(struct hs_msg) <= HS_MSG_MAX, "a message fits HS_MSG_MAX");
_Static_assert(offsetof(struct hs_msg, u) == HDR, "bodies follow the header");

static const struct {
	const char *name;
	size_t body;
} ops[HS_OP_COUNT_] = {
	[HS_OP_HELLO] = { "HELLO", sizeof(struct hs_m_hello) },
	[HS_OP_WELCOME] = { "WELCOME", sizeof(struct hs_m_welcome) },
	[HS_OP_REFUSE] = { "REFUSE", sizeof(struct hs_m_text) },
	[HS_OP_JOIN] = { "JOIN", sizeof(struct hs_m_join) },
	[HS_OP_LEAVE] = { "LEAVE", sizeof(struct hs_m_qid) },
	[HS_OP_LOAD] = { "LOAD", sizeof(struct hs_m_load) },
	[HS_OP_DECIDE] = { "DECIDE", sizeof(struct hs_m_decide) },
	[HS_OP_APPLIED] = { "APPLIED", sizeof(struct hs_m_applied) },
	[HS_OP_BYE] = { "BYE", 0 },
	[HS_OP_STATUS] = { "STATUS", 0 },
	[HS_OP_ST_SERVER] = { "ST_SERVER", sizeof(struct hs_m_st_server) },
	[HS_OP_ST_QUEUE] = { "ST_QUEUE", sizeof(struct hs_m_st_queue) },
	[HS_OP_ST_END] = { "ST_END", 0 },
	[HS_OP_SET] = { "SET", sizeof(struct hs_m_set) },
	[HS_OP_POLICY] = { "POLICY", sizeof(struct hs_m_policy) },
	[HS_OP_OK] = { "OK", sizeof(struct hs_m_ok) },
	[HS_OP_ERROR] = { "ERROR", sizeof(struct hs_m_text) },
};

size_t hs_msg_size(int op)
{
	if (op <= 0 || op >= HS_OP_COUNT_)
		return 0;
	return HDR + ops[op].body;
}

const char *hs_op_name(int op)
{
	return op > 0 && op < HS_OP_COUNT_ ? ops[op].name : "unknown";
}

void hs_msg_init(struct hs_msg *m, int op)
{
	memset(m, 0, sizeof(*m));
	m->h.magic = HS_PROTO_MAGIC;
	m->h.op = (uint16_t)op;
	m->h.size = (uint16_t)hs_msg_size(op);
}

int hs_msg_check(const struct hs_msg *m, size_t n, char *why, size_t len)
{
	if (n < HDR) {
		snprintf(why, len, "a packet of %zu bytes, shorter than a header", n);
		return -1;
	}
	if (m->h.magic != HS_PROTO_MAGIC) {
		snprintf(why, len, "bad magic 0x%08x (not a hipsched client?)",
			 (unsigned)m->h.magic);
		return -1;
	}
	size_t want = hs_msg_size(m->h.op);
	if (!want) {
		snprintf(why, len, "unknown op %u", (unsigned)m->h.op);
		return -1;
	}
	if (m->h.size != n) {
		snprintf(why, len, "%s says %u bytes, the packet has %zu",
			 hs_op_name(m->h.op), (unsigned)m->h.size, n);
		return -1;
	}
	/* another version's HELLO may have another size: its version is
	 * always right after the header */
	if (m->h.op == HS_OP_HELLO && n >= HDR + sizeof(uint32_t) &&
	    m->u.hello.version != HS_PROTO_VERSION)
		return 0;
	if (n != want) {
		snprintf(why, len, "%s of %zu bytes, expected %zu", hs_op_name(m->h.op),
			 n, want);
		return -1;
	}
	if (m->h.op == HS_OP_DECIDE && (m->u.dec.n < 1 || m->u.dec.n > HS_DECIDE_MAX)) {
		snprintf(why, len, "DECIDE of %u decisions (1..%d)", (unsigned)m->u.dec.n,
			 HS_DECIDE_MAX);
		return -1;
	}
	return 0;
}

int hs_msg_send(int fd, const struct hs_msg *m)
{
	for (;;) {
		ssize_t w = send(fd, m, m->h.size, MSG_NOSIGNAL);
		if (w == (ssize_t)m->h.size)
			return 0;
		if (w < 0 && errno == EINTR)
			continue;
		return w < 0 ? -errno : -EIO;
	}
}

ssize_t hs_msg_recv(int fd, struct hs_msg *m, int flags)
{
	for (;;) {
		/* MSG_TRUNC: the real length of an oversized packet */
		ssize_t r = recv(fd, m, sizeof(*m), flags | MSG_TRUNC);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if ((size_t)r > sizeof(*m))
			return (ssize_t)sizeof(*m) + 1;   /* too long: fails the check */
		return r;
	}
}

hs_ns hs_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (hs_ns)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void hs_default_socket(char *buf, size_t len)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	if (x && x[0] == '/')
		snprintf(buf, len, "%s/hipsched.sock", x);
	else
		snprintf(buf, len, "/tmp/hipsched-%u.sock", (unsigned)getuid());
}

int hs_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		if (errno != EINTR)
			break;
	}
	int e = errno;
	close(fd);
	return -e;
}

static const char *const serve_messages[] = {
	[HS_ERANGE_SERVE - SERVE_EPROTO] = "policy server protocol error",
	[HS_ERANGE_SERVE - SERVE_ECONN] = "cannot reach the policy server",
	[HS_ERANGE_SERVE - SERVE_EBUSY] = "another policy server owns the socket",
	[HS_ERANGE_SERVE - SERVE_EIO] = "socket error",
};

__attribute__((constructor)) static void serve_errors_register(void)
{
	hs_err_register(HS_ERANGE_SERVE, sizeof(serve_messages) / sizeof(serve_messages[0]),
			serve_messages);
}
