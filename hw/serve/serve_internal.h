/* hw/serve internals (server side): never included from outside the folder. */
#ifndef HIPSCHED_SERVE_INTERNAL_H
#define HIPSCHED_SERVE_INTERNAL_H

#include <signal.h>
#include <sys/types.h>
#include "serve.h"

enum conn_state { C_HELLO, C_APP, C_CTL };

struct conn {
	int fd;
	enum conn_state st;
	int dead;                 /* to be dropped at the next sweep */
	int bye;                  /* it said BYE */
	uint32_t id;
	int32_t pid, uid;         /* SO_PEERCRED; -1 unknown */
	char name[HS_NAME_MAX];
	int32_t prio, level;      /* from HELLO (ctl may change prio) */
	hs_ns slo_ns, deadline_ns;/* relative, 0 none */
	double weight;
	hs_ns since_ns;           /* accepted */
	/* messages its socket did not take yet (the sender's buffer of an
	 * AF_UNIX socket holds some 200 of them): sent in order when it is
	 * writable again; decisions wait as state meanwhile (want vs told) */
	struct hs_msg *out;
	size_t nout, outcap;
	int dirty;                /* a proxy of it has want != told */
	hs_ns cause;              /* earliest LOAD behind those; 0 none */
};

/* waiting messages beyond which a client counts as not reading */
#define HS_OUTBOX_MAX 4096

struct proxy {
	struct xq *xq;            /* in the server's core; user = this */
	struct conn *c;           /* owner; NULL while being dropped */
	int32_t qid;              /* the owner's id */
	int told;                 /* what the owner was last told: 1 suspended */
	int want;                 /* what the core decided last */
	int priority, level;
	double weight;
	hs_ns deadline_ns;        /* what the core has */
	hs_ns load_dl;            /* the deadline of the owner's last LOAD */
	uint32_t pending, inflight;
	uint64_t launched;
	uint64_t suspends, resumes;
	/* the policy call of the latest decision (for hs_server_opts.events) */
	int why;
	int32_t by_qid;           /* -1: none */
	char by[HS_NAME_MAX];
};

#define HS_RTT_KEEP (1u << 20)  /* round trips kept (a ring beyond) */

struct hs_server {
	struct hs_server_opts o;  /* params not kept: see pbuf */
	char policy[32];
	struct sched *s;
	struct conn **c;
	size_t nc, ccap;
	struct proxy **p;
	size_t np, pcap;
	struct pollfd *pfd;
	size_t pfcap;
	int lfd;                  /* listening socket, -1 none */
	char path[108];           /* its file, removed at free */
	dev_t sock_dev;           /* the file we bound (removed only if */
	ino_t sock_ino;           /* still the same) */
	int wake[2];              /* hs_server_stop's self-pipe */
	volatile sig_atomic_t stop;
	int had_conn;
	uint32_t next_id;
	hs_ns timer;              /* < 0: none */
	int timer_polled;         /* the due timer waited for one look at the
	                           * sockets (what was sent before it is due) */
	hs_ns cause;              /* sent_ns of the LOAD being handled */
	hs_ns t_start;
	uint64_t loads, suspends, resumes, timers, refused;
	uint64_t deferred;        /* messages that had to wait in an outbox */
	struct rtt_sample { hs_ns rtt, back, lock; } *rtt;   /* from APPLIED */
	size_t nrtt, rcap;
	struct hs_param *pv;      /* the policy's params set by POLICY */
	size_t npv;
	char *pbuf;
};

void serve__log(struct hs_server *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A row of hs_server_opts.events (when set): `p` NULL for a timer; pend /
 * infl / sent < 0 and `why` < 0 leave those fields empty. */
void serve__event(struct hs_server *s, const char *event, const struct proxy *p,
		  int64_t pend, int64_t infl, hs_ns sent, int why);
/* send.c: what goes to the clients. */
/* Sends m to c, or queues it behind what waits already; a failure (or an
 * outbox past HS_OUTBOX_MAX) marks c for dropping (logged). 0 or -errno. */
int serve__send(struct hs_server *s, struct conn *c, const struct hs_msg *m);
/* Sends what waits in c's outbox, in order, as far as its socket takes. */
void serve__flush_outbox(struct hs_server *s, struct conn *c);
/* Sends every connection the states of its queues that changed since it
 * was last told, as DECIDE messages (not to one whose outbox holds any). */
void serve__flush_decisions(struct hs_server *s);
/* "client 3 'resnet18' (pid 123)" (or "connection 3 (pid 123)") into buf. */
const char *serve__who(const struct conn *c, char *buf, size_t len);
/* Notes the core's latest decision for p (sent by serve__flush_decisions). */
void serve__tell(struct hs_server *s, struct proxy *p, int suspended);
/* REFUSE with the reason (logged), then c is dropped. */
void serve__refuse(struct hs_server *s, struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* ERROR (qid: the JOIN's, or -1) with the reason, logged; c stays. */
void serve__error(struct hs_server *s, struct conn *c, int32_t qid, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int serve__conn_add(struct hs_server *s, int fd);
struct sched *serve__sched_new(struct hs_server *s, const char *policy,
			       const struct hs_param *params, size_t n,
			       char *err, size_t errlen, int *rc);
int serve__proxy_xq(struct hs_server *s, struct sched *core, struct proxy *p,
		    struct xq **out);
/* ctl.c: STATUS, SET, POLICY from a ctl connection. */
void serve__ctl(struct hs_server *s, struct conn *c, const struct hs_msg *m);
void serve__params_free(struct hs_server *s);
/* listen.c: closes the listening socket and removes its file. */
void serve__unlisten(struct hs_server *s);

#endif
