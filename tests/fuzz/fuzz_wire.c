/* libFuzzer: the policy server's side of the wire protocol (hw/serve/).
 * The input is a session: packets sent on one connection to a server
 * running hpf, then the sending side shuts down and the server runs until
 * idle.
 * Each packet: a selector byte, then the body. Selector < 0x80: a message
 * of op (selector % HS_OP_COUNT_) with a correct header, the body taken
 * from the input (zero-padded); else a raw packet of (selector & 0x7f) * 2
 * bytes, header included, as garbage would come. The server must survive
 * every session and still serve the next one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fuzz.h"
#include "serve.h"

static struct hs_server *srv;

static void log_line(void *ctx, const char *line)
{
	fprintf(stderr, "server: %s\n", line);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* FUZZ_WIRE_LOG=1: the server's log on stderr (to read a session) */
	int log = getenv("FUZZ_WIRE_LOG") != NULL;
	struct hs_server_opts o = { .policy = "hpf", .verbose = log,
				    .log = log ? log_line : NULL };
	char err[256];
	if (hs_server_create(&o, &srv, err, sizeof(err)) != 0)
		fuzz_fail("server: %s", err);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) != 0)
		fuzz_fail("socketpair");
	if (hs_server_add_fd(srv, sp[0]) != 0) {
		close(sp[1]);
		return 0;
	}
	size_t i = 0;
	int sent = 0;
	while (i < n && sent < 64) {
		uint8_t sel = data[i++];
		union { struct hs_msg m; uint8_t b[HS_MSG_MAX]; } u;
		memset(&u, 0, sizeof(u));
		size_t len;
		if (sel < 0x80) {
			int op = sel % HS_OP_COUNT_;
			len = hs_msg_size(op);
			if (!len)
				continue;
			size_t body = len - sizeof(struct hs_msg_hdr);
			size_t take = n - i < body ? n - i : body;
			hs_msg_init(&u.m, op);
			memcpy(u.b + sizeof(struct hs_msg_hdr), data + i, take);
			i += take;
		} else {
			len = (size_t)(sel & 0x7f) * 2;
			if (len > HS_MSG_MAX)
				len = HS_MSG_MAX;
			size_t take = n - i < len ? n - i : len;
			memcpy(u.b, data + i, take);
			i += take;
		}
		if (!len || send(sp[1], u.b, len, MSG_NOSIGNAL) < 0)
			break;
		sent++;
	}
	/* EOF after the packets, while the server's answers still land in
	 * our receive buffer: it serves the whole session, then is idle */
	shutdown(sp[1], SHUT_WR);
	if (hs_server_run(srv, 1) != 0)
		fuzz_fail("hs_server_run failed");
	close(sp[1]);
	return 0;
}
