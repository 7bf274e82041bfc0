/*
 * hw/serve: the policy server. One scheduler core (struct sched) with one
 * proxy queue (xq_config.proxy) per queue its clients joined; the clients
 * (the children of a `hipsched hw` run, and libhipsched.so inside each
 * application started by `hipsched run`) report the load of their real
 * queues and apply the server's SUSPEND / RESUME decisions. `hipsched
 * serve` is this server on a listening Unix socket; `hipsched status` and
 * `hipsched ctl` talk to it with the same protocol.
 *
 * Two halves:
 *   client (client.c, proto.c): depends on core/ and libc / pthread only,
 *     so that the interception library (a -fPIC shared object) links it.
 *   server (server.c, listen.c, ctl.c): may use the rest of the project.
 *
 * ---- The wire protocol (version HS_PROTO_VERSION) --------------------------
 * Transport: AF_UNIX SOCK_SEQPACKET (a socketpair, or a connection accepted
 * on a listening socket); one message per packet, never split, at most
 * HS_MSG_MAX bytes. Both ends are on one host: integers are in host byte
 * order, times are CLOCK_MONOTONIC ns (system-wide, so one end can measure
 * a span started by the other).
 *
 * Every message starts with struct hs_msg_hdr {magic, op, size}; `size` is
 * the whole packet and must equal the op's fixed size (hs_msg_size). The
 * header and the first field of HELLO (the version) are the same in every
 * protocol version, so a server can always tell a client of another
 * version from garbage.
 *
 *   client -> server                        server -> client
 *   HELLO  version, flags, pid, priority,   WELCOME version, client id,
 *          level, slo/deadline (relative,           policy name
 *          ns), weight, name                REFUSE  reason (then closes)
 *   JOIN   qid, priority, level             ERROR   qid, reason (a JOIN or
 *   LEAVE  qid                                      a ctl request failed)
 *   LOAD   qid, pending, inflight,          DECIDE  cause, sent, n x
 *          deadline (absolute), sent,               qid | suspended bit
 *          commands launched so far
 *   APPLIED qid, round trip parts (a decision caused by a LOAD was applied)
 *   BYE
 *   ctl connections (HELLO flag HS_HELLO_CTL):
 *   STATUS                                  ST_SERVER, one ST_QUEUE per
 *                                           queue, ST_END
 *   SET    name, key, value                 OK n (queues changed) | ERROR
 *   POLICY name, "k=v" lines                OK | ERROR
 *
 * A session: HELLO -> WELCOME (or REFUSE: other version, a server full,
 * a bad HELLO); then JOIN / LOAD / LEAVE at will; BYE or closing the
 * socket leaves every joined queue. The client picks queue ids (qid),
 * unique within its session, never reused. The server tells a client
 * the state of a queue only when it differs from what the client was last
 * told; the decisions the policy made while handling what one connection
 * sent (its LOADs read in one go), a timer or a ctl change go out
 * together, in as few DECIDE messages as hold them (HS_DECIDE_MAX each),
 * before the next connection is served; while a client's
 * socket is full they wait, and only each queue's latest state is sent. A
 * DECIDE's `cause` is the `sent` of the earliest LOAD that caused one of
 * its decisions (0: a policy timer or a ctl change); the client applies
 * all of them under one lock and answers a caused one with APPLIED (load
 * sent -> decisions applied, and its parts), which is how the server knows
 * the round trip. (A process's PyTorch opens some 34 streams; one message
 * per queue made the last of them wait for the 33 before: measured on an
 * H200, analysis/reports/h200.md.)
 * Anything else (bad magic, unknown op, wrong size, a message before
 * HELLO, LOAD of an unknown qid) is a protocol error: the server logs it,
 * sends REFUSE and drops the connection (its queues are freed and the
 * policy runs for the others); it goes on serving everyone else.
 *
 * Peer identity: the server takes pid and uid from SO_PEERCRED, not from
 * HELLO (which only names the client).
 */
#ifndef HIPSCHED_SERVE_H
#define HIPSCHED_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "sched.h"

#define HS_PROTO_MAGIC   0x48534348u   /* "HSCH" */
#define HS_PROTO_VERSION 2
#define HS_MSG_MAX       256
#define HS_NAME_MAX      64            /* client name, NUL included */
#define HS_TEXT_MAX      160           /* REFUSE / ERROR reason */

/* ---- the launcher's environment (hipsched run -> libhipsched.so) --------- */
#define HS_ENV_SOCKET      "HIPSCHED_SOCKET"      /* server socket path */
#define HS_ENV_NAME        "HIPSCHED_NAME"        /* client name */
#define HS_ENV_PRIORITY    "HIPSCHED_PRIORITY"    /* integer, larger = more important */
#define HS_ENV_LEVEL       "HIPSCHED_LEVEL"       /* preemption level 1..3 */
#define HS_ENV_SLO_MS      "HIPSCHED_SLO_MS"      /* relative, ms (decimal) */
#define HS_ENV_DEADLINE_MS "HIPSCHED_DEADLINE_MS" /* relative, ms (decimal) */
#define HS_ENV_WEIGHT      "HIPSCHED_WEIGHT"      /* share, > 0 */
#define HS_ENV_THRESHOLD   "HIPSCHED_THRESHOLD"   /* commands in flight per queue */
#define HS_ENV_BATCH       "HIPSCHED_BATCH"       /* sync marker every N commands */
#define HS_ENV_IDLE_HOLD   "HIPSCHED_IDLE_HOLD_US" /* idle gaps shorter than this
                                                     * are not told (hs_hello.idle_hold_ns) */
/* HIPSCHED_RELAY_SPIN=1: the server loop and the clients' receivers
 * busy-poll their sockets (one core each) instead of blocking. */
#define HS_ENV_SPIN        "HIPSCHED_RELAY_SPIN"

/* ---- messages ---------------------------------------------------------------- */
enum hs_op {
	HS_OP_HELLO = 1, HS_OP_WELCOME, HS_OP_REFUSE, HS_OP_JOIN, HS_OP_LEAVE,
	HS_OP_LOAD, HS_OP_DECIDE, HS_OP_APPLIED, HS_OP_BYE,
	HS_OP_STATUS, HS_OP_ST_SERVER, HS_OP_ST_QUEUE, HS_OP_ST_END,
	HS_OP_SET, HS_OP_POLICY, HS_OP_OK, HS_OP_ERROR,
	HS_OP_COUNT_
};

enum hs_hello_flags {
	HS_HELLO_CTL = 1u << 0,   /* status / ctl: joins nothing, not listed */
};

#define HS_PRIO_DEFAULT INT32_MIN  /* JOIN priority: the HELLO's */

struct hs_msg_hdr {
	uint32_t magic;           /* HS_PROTO_MAGIC */
	uint16_t op;              /* enum hs_op */
	uint16_t size;            /* bytes of the whole message */
};

struct hs_m_hello {
	uint32_t version;         /* first in every version */
	uint32_t flags;           /* enum hs_hello_flags */
	int32_t pid;              /* informative: the server uses SO_PEERCRED */
	int32_t priority, level;
	int32_t pad;
	int64_t slo_ns, deadline_ns;   /* relative; 0: none */
	double weight;            /* 0: default (1) */
	char name[HS_NAME_MAX];
};
struct hs_m_welcome {
	uint32_t version;
	uint32_t client;          /* the server's id for this session */
	char policy[32];
};
struct hs_m_text {            /* REFUSE, ERROR */
	int32_t qid;              /* ERROR of a JOIN: its qid; else -1 */
	int32_t pad;
	char text[HS_TEXT_MAX];
};
struct hs_m_join {
	int32_t qid, priority, level, pad;   /* priority HS_PRIO_DEFAULT: HELLO's */
};
struct hs_m_qid {             /* LEAVE */
	int32_t qid, pad;
};
struct hs_m_load {
	int32_t qid;
	uint32_t pending, inflight, pad;
	int64_t deadline_ns;      /* absolute; INT64_MAX: none */
	int64_t sent_ns;
	uint64_t launched;        /* commands launched on the queue so far */
};
#define HS_DECIDE_MAX 56
#define HS_DECIDE_SUSPEND 0x80000000u   /* in d[i]: suspended; else resumed */
struct hs_m_decide {
	int64_t cause_ns;         /* sent_ns of the earliest LOAD that caused one; 0 none */
	int64_t sent_ns;          /* when the server sent it */
	uint32_t n, pad;          /* decisions in d, 1..HS_DECIDE_MAX */
	uint32_t d[HS_DECIDE_MAX];   /* qid (>= 0, JOIN's) | HS_DECIDE_SUSPEND */
};
struct hs_m_applied {
	int32_t qid, suspended;
	int64_t rtt_ns;           /* LOAD sent -> decision applied */
	int64_t back_ns;          /* decision sent -> applied */
	int64_t lock_ns;          /* decision received -> client lock held */
};
struct hs_m_st_server {
	char policy[32];
	uint32_t clients, queues;
	uint64_t loads, suspends, resumes, timers, refused;
	uint64_t nrtt;            /* round trips measured */
	uint64_t deferred;        /* messages that waited for a client's socket */
	int64_t rtt_p50_ns, rtt_p99_ns;   /* -1: none yet */
	/* of the round trips' return half (decision sent -> applied) and of
	 * its wait for the client's lock: where a slow round trip went */
	int64_t back_p99_ns, lock_p99_ns;
	int64_t uptime_ns;
	int32_t pid, pad;         /* the server's */
};
struct hs_m_st_queue {
	char name[HS_NAME_MAX];   /* the client's */
	uint32_t client;
	int32_t pid, uid, qid, priority, level, suspended, pad;
	uint32_t pending, inflight;
	uint64_t launched;
	uint64_t suspends, resumes;
	int64_t deadline_ns;
	double weight;
};
struct hs_m_set {
	char name[HS_NAME_MAX];   /* client name */
	char key[16];             /* priority | deadline | slo | weight */
	char value[32];
};
struct hs_m_policy {
	char name[32];
	char params[192];         /* "key=value" lines, '\n'-separated */
};
struct hs_m_ok {
	int32_t n, pad;
};

struct hs_msg {
	struct hs_msg_hdr h;
	union {
		struct hs_m_hello hello;
		struct hs_m_welcome welcome;
		struct hs_m_text text;
		struct hs_m_join join;
		struct hs_m_qid qid;
		struct hs_m_load load;
		struct hs_m_decide dec;
		struct hs_m_applied applied;
		struct hs_m_st_server sts;
		struct hs_m_st_queue stq;
		struct hs_m_set set;
		struct hs_m_policy policy;
		struct hs_m_ok ok;
	} u;
};

/* ---- protocol helpers (proto.c; libc only) ------------------------------------ */
/* Bytes of a message of `op` (header included), 0 for an unknown op. */
size_t hs_msg_size(int op);
/* Zeroes m and fills its header for `op`. */
void hs_msg_init(struct hs_msg *m, int op);
/* Checks a received packet of n bytes: 0, or -1 with the reason in why
 * ("bad magic 0x..", "unknown op 77", "LOAD of 12 bytes, expected 40").
 * A HELLO of another version passes (the caller compares versions). */
int hs_msg_check(const struct hs_msg *m, size_t n, char *why, size_t len);
/* One packet, MSG_NOSIGNAL, EINTR retried: 0 or -errno. */
int hs_msg_send(int fd, const struct hs_msg *m);
/* One packet into m (flags: MSG_DONTWAIT or 0): bytes, 0 on EOF, -errno. */
ssize_t hs_msg_recv(int fd, struct hs_msg *m, int flags);
const char *hs_op_name(int op);
/* CLOCK_MONOTONIC, ns. */
hs_ns hs_now(void);
/* The default socket: $XDG_RUNTIME_DIR/hipsched.sock when that is set
 * (and absolute), else /tmp/hipsched-UID.sock. Truncates to len. */
void hs_default_socket(char *buf, size_t len);
/* Connects a SOCK_SEQPACKET | SOCK_CLOEXEC socket to `path`: fd or -errno. */
int hs_connect(const char *path);

/* ---- client -------------------------------------------------------------------- */
struct hs_client;

/* What a client says of itself in HELLO (name may be NULL: "pid-N"). */
struct hs_hello {
	const char *name;
	int32_t pid;              /* 0: getpid() */
	int32_t priority;         /* default priority of the queues it joins */
	int32_t level;
	hs_ns slo_ns, deadline_ns;   /* relative, 0: none */
	double weight;            /* 0: default */
	/* Client side, not sent. Idle hold (0: off): a joined queue that goes
	 * idle is told to the server only once it has stayed idle this long;
	 * busy again before, the server never hears of the gap (no LOAD for
	 * its idle nor for the busy that ends it). Saves a LOAD pair per short
	 * host gap (~20 LOADs a ResNet-18 request, h200.md 15) at the cost of
	 * telling a real idle that much later: with hpf, set the server's
	 * linger that much shorter. The remote policy then asks for the core's
	 * timer, which the caller's driver must fire (sched_on_timer). */
	hs_ns idle_hold_ns;
};

/* The caller's lock around every call into its core `s`, and an optional
 * log of asynchronous events (server gone, a JOIN refused); `log` is called
 * from the receiver thread, without the lock. */
struct hs_client_lock {
	void *ctx;
	void (*lock)(void *ctx);
	void (*unlock)(void *ctx);
	void (*log)(void *ctx, const char *line);
};

/* Client figures (hs_client_stats). */
struct hs_client_stats {
	uint64_t applied;         /* decisions applied */
	uint64_t loads;           /* LOAD messages sent */
	int connected;            /* 0 once the server went away (or fork) */
};

/* Connects to the server at `path` (or uses `fd` >= 0, which the client
 * then owns and closes, even on failure), sends HELLO and waits up to 5 s
 * for WELCOME. The
 * local core `s` must run the policy hs_client_policy_name() ("remote",
 * registered by the first open), which forwards the load of joined queues;
 * a receiver thread (all signals blocked) applies SUSPEND / RESUME with
 * sched_suspend / sched_resume under lk. If the server goes away, every
 * joined queue is resumed and stays unscheduled from then on. 0 or a
 * negative HS_ / SERVE_ error with the reason in err (the server's REFUSE
 * text for another protocol version). The caller owns *out
 * (hs_client_close). Never prints, never raises SIGPIPE.
 * Fork: the child of a forked process does not share the connection: a
 * fork handler closes the socket in the child and marks its clients
 * disconnected (no lock is taken there); the child's "remote" queues
 * resume at their next policy call and are never suspended again. The
 * child may open a client of its own. */
int hs_client_open(const char *path, int fd, const struct hs_hello *h,
		   struct sched *s, const struct hs_client_lock *lk,
		   struct hs_client **out, char *err, size_t errlen);
/* "remote" (the name the client's core must be created with). Registers
 * the policy on first call. */
const char *hs_client_policy_name(void);
/* An endpoint: the xq_config.user of a queue that will join (the "remote"
 * policy finds its client through it). Owner: an optional pointer for the
 * caller (the run driver keeps its tenant there). Free after the queue is
 * freed. NULL on ENOMEM. */
void *hs_client_ep_new(struct hs_client *c);
void hs_client_ep_free(void *ep);
void hs_client_ep_set_owner(void *ep, void *owner);
void *hs_client_ep_owner(const void *ep);
/* The endpoint's qid while joined (what the server's decisions name,
 * struct hs_decision), else -1. */
int32_t hs_client_ep_qid(const void *ep);
/* Joins queue q (whose user is an endpoint of c) with `priority`
 * (HS_PRIO_DEFAULT: the HELLO's): from now on its load goes to the server.
 * Takes lk itself: call it without holding it. 0, HS_EINVAL (not c's
 * endpoint, joined already), SERVE_ECONN (server gone: q just runs
 * unscheduled), HS_ENOMEM. */
int hs_client_join(struct hs_client *c, struct xq *q, int priority);
/* Leaves (before xq_free): the server frees the proxy; q is resumed if it
 * was suspended. Takes lk itself. 0 or HS_EINVAL (not joined). */
int hs_client_leave(struct hs_client *c, struct xq *q);
/* BYE, shuts the socket down, joins the receiver thread, frees c (queues
 * still joined are resumed first, under lk). NULL is a no-op. */
void hs_client_close(struct hs_client *c);
void hs_client_stats(struct hs_client *c, struct hs_client_stats *st);

/* ---- server -------------------------------------------------------------------- */
struct hs_server;
struct run_result;

/* A decision of the policy on a client's queue (hs_server_opts.decided). */
struct hs_decision {
	const char *client;       /* the client's name (HELLO) */
	int32_t qid;              /* its queue */
	int suspended;            /* 1 SUSPEND, 0 RESUME */
	hs_ns at_ns;              /* CLOCK_MONOTONIC: when it was made */
	const char *policy;
	int why;                  /* enum sched_why of the policy call */
	const char *by_client;    /* the queue that call concerned; NULL: none */
	int32_t by_qid;
};

struct hs_server_opts {
	const char *policy;
	const struct hs_param *params;
	size_t nparams;
	unsigned max_conns;       /* 0: HS_SERVER_MAX_CONNS; more are refused */
	hs_ns hello_timeout_ns;   /* 0: 2 s; a silent connection is dropped */
	int spin;                 /* busy-poll (HS_ENV_SPIN) */
	int verbose;              /* also log clients coming and going */
	/* One line per event worth telling (a refused client, a protocol
	 * error, a client gone); NULL: none. */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
	/* Optional: every decision of the policy on a client's queue, when
	 * the policy makes it, from the server's loop (a `hipsched hw` run's
	 * timeline). The client hears the latest state of its queues once
	 * per handled event: a suspend and a resume made in one event reach
	 * it as nothing. */
	void (*decided)(void *ctx, const struct hs_decision *d);
	void *decided_ctx;
	/* Optional: the server's view as CSV (`hipsched serve --events`),
	 * HS_EVENTS_HEADER then one row per edge of a queue's load (idle ->
	 * ready or back, when its LOAD is handled), per decision sent to a
	 * client (with the policy call that made it) and per policy timer
	 * fired. The caller opens it, closes it and checks ferror. */
	FILE *events;
};
#define HS_EVENTS_HEADER "t_ns,event,client,queue,pending,inflight,sent_ns,why,by_client,by_queue\n"
#define HS_SERVER_MAX_CONNS 128u

/* Creates a server running opts->policy (errors as sched_create, message
 * in err). 0 or negative. Free with hs_server_free. */
int hs_server_create(const struct hs_server_opts *o, struct hs_server **out,
		     char *err, size_t errlen);
/* Serves a connected socket (a socketpair end); the server owns fd. */
int hs_server_add_fd(struct hs_server *s, int fd);
/* Listens on `path` (mode 0600, or 0660 with group `gid` >= 0): refuses
 * (SERVE_EBUSY, message in err) when a live server answers there; a stale
 * socket file (nothing accepts) is replaced. The file is removed by
 * hs_server_free. */
int hs_server_listen(struct hs_server *s, const char *path, long gid,
		     char *err, size_t errlen);
/* Serves until hs_server_stop, or, with until_idle, until every
 * connection closed (at least one having existed: a `hipsched hw` run).
 * 0 or SERVE_EIO (poll failed). */
int hs_server_run(struct hs_server *s, int until_idle);
/* Makes hs_server_run return soon. Async-signal-safe. */
void hs_server_stop(struct hs_server *s);
/* Counts, as in ST_SERVER. */
void hs_server_status(const struct hs_server *s, struct hs_m_st_server *st);
/* Adds the server's figures (decisions, timers, every round trip) to r.
 * 0 or HS_ENOMEM. */
int hs_server_figures(const struct hs_server *s, struct run_result *r);
struct sched *hs_server_sched(struct hs_server *s);
void hs_server_free(struct hs_server *s);

/* ---- ctl side (ctl.c): what `hipsched status` and `ctl` send ----------------- */
struct hs_status {
	struct hs_m_st_server server;
	struct hs_m_st_queue *q;  /* malloc'ed, n entries */
	size_t n;
};
/* Connects as a ctl client and fetches the status. 0 or negative (err). */
int hs_ctl_status(const char *path, struct hs_status *out, char *err, size_t errlen);
void hs_status_release(struct hs_status *st);
/* SET name key=value: 0 and the number of queues changed in *n, or
 * negative (err: the server's ERROR text). */
int hs_ctl_set(const char *path, const char *name, const char *key,
	       const char *value, int *n, char *err, size_t errlen);
/* POLICY name params (NULL-ended "k=v" strings joined by the call). */
int hs_ctl_policy(const char *path, const char *name, const char *const *kv,
		  size_t nkv, char *err, size_t errlen);

/* ---- errors: hw/serve's block of the one table (core/sched.h; messages
 * registered by proto.c, so hs_strerror knows them wherever the client
 * half is linked) ------------------------------------------------------------ */
enum serve_err {
	SERVE_EPROTO = HS_ERANGE_SERVE,       /* protocol error / refused */
	SERVE_ECONN = HS_ERANGE_SERVE - 1,    /* server unreachable or gone */
	SERVE_EBUSY = HS_ERANGE_SERVE - 2,    /* another server owns the socket */
	SERVE_EIO = HS_ERANGE_SERVE - 3,      /* a socket call failed */
};

#endif
