/*
 * hw/serve/ internals: one policy over several processes (relay.c). The
 * parent of a multi-process `hipsched hw` run serves the policy; each
 * child's core runs the policy "remote". Included by hw/run/ and the hw
 * tests; never from outside hw/.
 */
#ifndef HIPSCHED_HW_SERVE_INTERNAL_H
#define HIPSCHED_HW_SERVE_INTERNAL_H

#include <stdint.h>
#include "dev_internal.h"

/* ---- relay.c: one policy over several processes ------------------------------
 * The parent runs the policy (hw__relay_server_*) over proxy queues; each
 * child's core runs the policy "remote" (hw__policy_remote), which forwards
 * its queues' load to the parent, and a receiver thread
 * (hw__relay_client_*) applies the parent's suspend / resume decisions.
 * One AF_UNIX SOCK_SEQPACKET socketpair per child carries both ways.
 */
struct hw_relay_client;
struct hw_relay_server;

/* One decision a load caused, as its child measured it (ns, one clock):
 * rtt = load sent -> decision applied (the core call returned), back =
 * server sent the decision -> applied, lock = received -> core lock held. */
struct hw_relay_sample {
	hs_ns rtt_ns, back_ns, lock_ns;
};

/* What "remote" keeps per queue: xq_config.user of a queue in a core that
 * runs "remote" must point to one (struct tenant has it first). */
struct hw_relay_ep {
	struct hw_relay_client *c;   /* NULL until bound: nothing forwarded */
	int32_t tenant;
	int sent;                    /* the values below were sent */
	uint32_t pending, inflight;
	hs_ns deadline_ns;
};

extern const struct policy_ops hw__policy_remote;
/* Registers "remote" (once per process; later calls are no-ops). */
int hw__relay_register(void);

/* Child side. create: `fd` is the child's socket, `e` the engine whose
 * core runs "remote", tenants indexed 0..ntenants-1. bind: queue q (whose
 * user is ep) is tenant `tenant` (takes the core lock). start: the
 * receiver thread. stop: shuts the socket down and joins the thread (the
 * parent sees the child's end close). rtt: the round trips measured so far
 * (load sent -> decision applied, ns; only decisions a load caused) and
 * the number of decisions applied; valid after stop. 0 or HS_ENOMEM /
 * HS_EINVAL. */
int hw__relay_client_create(int fd, struct hw_engine *e, size_t ntenants,
			    struct hw_relay_client **out);
int hw__relay_client_bind(struct hw_relay_client *c, struct hw_relay_ep *ep,
			  size_t tenant, struct xq *q);
int hw__relay_client_start(struct hw_relay_client *c);
void hw__relay_client_stop(struct hw_relay_client *c);
size_t hw__relay_client_rtt(const struct hw_relay_client *c,
			    const struct hw_relay_sample **v, uint64_t *applied);
void hw__relay_client_free(struct hw_relay_client *c);

/* Parent side. create: a core with `policy` and its params (errors as
 * sched_create) for tenants 0..ntenants-1. add: a proxy queue for tenant
 * `tenant` living in the child at socket `fd`. run: serves the children
 * until every socket closed (a closed child's queues count as idle), with
 * the policy's timers; tick(ctx), if given, every tick_ns. */
struct hw_relay_stats {
	uint64_t loads;              /* load messages received */
	uint64_t suspends, resumes;  /* decisions sent */
	uint64_t timers;             /* policy timers fired */
};
int hw__relay_server_create(const char *policy, const struct hs_param *params,
			    size_t nparams, size_t ntenants,
			    struct hw_relay_server **out, char *err, size_t errlen);
int hw__relay_server_add(struct hw_relay_server *s, int fd, size_t tenant,
			 int priority, int level);
int hw__relay_server_run(struct hw_relay_server *s, hs_ns tick_ns,
			 void (*tick)(void *ctx), void *ctx);
void hw__relay_server_stats(const struct hw_relay_server *s, struct hw_relay_stats *st);
struct sched *hw__relay_server_sched(struct hw_relay_server *s);
void hw__relay_server_free(struct hw_relay_server *s);
/* Appends one line "relay policy=.. mode=.. spin=.. loads=.. ..." to
 * `path`: the server's counts, then P50 / P99 / max in us of the children's
 * samples `rt` (rtt_, to_applied_, lock_wait_) and of the server's load
 * sent -> received (to_server_). 0, HS_ENOMEM or HW_EIO.
 * HIPSCHED_RELAY_SPIN=1 makes the server and the receivers busy-poll. */
int hw__relay_write_stats(const char *path, const char *policy, const char *mode,
			  const struct hw_relay_server *s,
			  const struct hw_relay_sample *rt, size_t n);

#endif
