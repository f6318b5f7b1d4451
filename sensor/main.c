// SPDX-License-Identifier: GPL-2.0-only
/*
 * edr-sensor: loads the BPF programs, consumes the ring buffer, keeps the
 * process table and writes ECS JSON lines.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/loader.h"
#include "loader/probe.h"
#include "sensor/decode.h"
#include "sensor/ecs.h"
#include "sensor/json.h"
#include "sensor/output.h"
#include "sensor/proctable.h"

#define EDR_VERSION "0.1.0"
#define MAX_CPUS 1024
#define POLL_MS 100 /* longest an event waits in the ring buffer */

struct opts {
	int probe, json, verbose;
	const char *output;
	const char *host_name;
	struct edr_loader_opts lo;
};

struct counters {
	uint64_t read;                      /* records taken from the ring buffer */
	uint64_t emitted;                   /* JSON lines written for events */
	uint64_t per_type[_EDR_EVENT_MAX];
	uint64_t decode_errors[_EDR_DECODE_MAX];
	uint64_t decode_errors_total;
	uint64_t lost_reported;             /* sum of gap records written */
	uint64_t seq_gaps;                  /* missing sequence numbers seen */
};

struct sensor {
	struct opts opts;
	struct edr_loader *loader;
	struct ring_buffer *rb;
	struct edr_proctable *procs;
	struct edr_ecs ecs;
	struct edr_output out;
	struct edr_json j;
	struct counters c;
	int ncpus;
	uint64_t last_seq[MAX_CPUS];
	uint64_t drops_reported[MAX_CPUS];
	uint64_t kernel_drops;              /* sum over CPUs at last read */
	uint64_t kernel_seq;                /* sequence numbers handed out, all CPUs */
};

static int verbose;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("edr-sensor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void loader_log(int debug, const char *msg, void *ctx)
{
	if (debug && !verbose)
		return;
	logmsg("%s", msg);
}

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void emit_line(struct sensor *s, int is_alert, int severity)
{
	if (s->j.oom) {
		s->c.decode_errors_total++;
		return;
	}
	edr_output__write(&s->out, s->j.buf, s->j.len, is_alert, severity);
}

/* Compares the kernel's per-CPU loss counters with what was already
 * reported, and writes one gap record per CPU for the difference. */
static void report_drops(struct sensor *s)
{
	struct edr_bpf_stats st[MAX_CPUS];
	uint32_t zero = 0;
	uint64_t total = 0;
	int cpu;

	if (bpf_map_lookup_elem(edr_loader__stats_fd(s->loader), &zero, st))
		return;
	s->kernel_seq = 0;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		total += st[cpu].drops;
		s->kernel_seq += st[cpu].seq;
		if (st[cpu].drops > s->drops_reported[cpu]) {
			uint64_t lost = st[cpu].drops - s->drops_reported[cpu];

			edr_json_reset(&s->j);
			edr_ecs__gap(&s->ecs, &s->j, cpu, lost, boot_ns());
			emit_line(s, 0, 0);
			s->drops_reported[cpu] = st[cpu].drops;
			s->c.lost_reported += lost;
		}
	}
	s->kernel_drops = total;
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct sensor *s = ctx;
	struct edr_decoded ev;
	enum edr_decode_err de;
	struct edr_proc *p = NULL, *parent = NULL;

	s->c.read++;
	de = edr_decode(data, len, &ev);
	if (de) {
		s->c.decode_errors[de]++;
		s->c.decode_errors_total++;
		if (verbose)
			logmsg("record %llu: %s (%zu bytes), ignoring", (unsigned long long)s->c.read,
			       edr_decode_err_str(de), len);
		return 0;
	}
	s->c.per_type[ev.type]++;
	if (ev.hdr->cpu < MAX_CPUS) {
		uint64_t *last = &s->last_seq[ev.hdr->cpu];

		if (*last && ev.hdr->seq > *last + 1)
			s->c.seq_gaps += ev.hdr->seq - *last - 1;
		if (ev.hdr->seq > *last)
			*last = ev.hdr->seq;
	}
	switch (ev.type) {
	case EDR_EVENT_EXEC:
		p = edr_proctable__on_exec(s->procs, &ev);
		break;
	case EDR_EVENT_FORK:
		p = edr_proctable__on_fork(s->procs, ev.task);
		break;
	case EDR_EVENT_EXIT:
		p = edr_proctable__on_exit(s->procs, ev.task, ev.hdr->ts_ns);
		break;
	case EDR_EVENT_EXEC_DENIED:
		/* The exec did not happen: describe the caller, not a new image. */
		p = edr_proctable__get(s->procs, ev.task->tgid);
		break;
	}
	if (p)
		parent = edr_proctable__parent(s->procs, p);
	edr_json_reset(&s->j);
	edr_ecs__event(&s->ecs, &s->j, &ev, p, parent);
	edr_json_obj_end(&s->j);
	emit_line(s, 0, 0);
	s->c.emitted++;
	return 0;
}

static void print_probe(const struct edr_probe *p, const struct edr_feature_status *st, int json)
{
	struct edr_json j;
	int c, f, i;

	if (json) {
		edr_json_init(&j);
		edr_json_obj_begin(&j);
		edr_json_kcstr(&j, "kernel", p->kernel);
		edr_json_key(&j, "capabilities");
		edr_json_obj_begin(&j);
		for (c = 0; c < EDR_CAP__COUNT; c++) {
			edr_json_key(&j, edr_cap_name(c));
			edr_json_obj_begin(&j);
			edr_json_kbool(&j, "available", p->ok[c]);
			edr_json_kcstr(&j, "detail", p->detail[c]);
			edr_json_obj_end(&j);
		}
		edr_json_obj_end(&j);
		edr_json_key(&j, "features");
		edr_json_obj_begin(&j);
		for (f = 0; f < EDR_FEAT__COUNT; f++) {
			edr_json_key(&j, st[f].name);
			edr_json_obj_begin(&j);
			edr_json_kcstr(&j, "state", edr_feat_state_name(st[f].state));
			if (st[f].chosen >= 0)
				edr_json_kcstr(&j, "path", st[f].paths[st[f].chosen]);
			else
				edr_json_key(&j, "path"), edr_json_raw(&j, "null", 4);
			edr_json_key(&j, "tried");
			edr_json_arr_begin(&j);
			for (i = 0; i < st[f].npaths; i++) {
				edr_json_obj_begin(&j);
				edr_json_kcstr(&j, "path", st[f].paths[i]);
				edr_json_kcstr(&j, "result", st[f].why[i]);
				edr_json_obj_end(&j);
			}
			edr_json_arr_end(&j);
			edr_json_obj_end(&j);
		}
		edr_json_obj_end(&j);
		edr_json_obj_end(&j);
		printf("%s\n", j.buf);
		edr_json_free(&j);
		return;
	}
	printf("kernel %s\n\n", p->kernel);
	printf("%-16s %-4s %s\n", "CAPABILITY", "OK", "DETAIL");
	for (c = 0; c < EDR_CAP__COUNT; c++)
		printf("%-16s %-4s %s\n", edr_cap_name(c), p->ok[c] ? "yes" : "no", p->detail[c]);
	printf("\n%-14s %-12s %-8s %s\n", "FEATURE", "STATE", "PATH", "PATHS TRIED");
	for (f = 0; f < EDR_FEAT__COUNT; f++) {
		printf("%-14s %-12s %-8s", st[f].name, edr_feat_state_name(st[f].state),
		       st[f].chosen >= 0 ? st[f].paths[st[f].chosen] : "-");
		for (i = 0; i < st[f].npaths; i++)
			printf("%s%s: %s", i ? "; " : " ", st[f].paths[i], st[f].why[i]);
		printf("\n");
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: edr-sensor [OPTIONS]\n"
		"  --probe              print what this kernel supports and the attach plan, then exit\n"
		"  --json               with --probe: JSON instead of a table\n"
		"  -o, --output FILE    write JSON lines to FILE (default stdout; SIGHUP reopens)\n"
		"  --ring-size BYTES    ring buffer size, a power of two >= 4096 (default 8 MiB)\n"
		"  --force FEAT=PATH    force an attach path (e.g. exec=raw_tp)\n"
		"  --disable FEAT       do not load a feature (exec, fork, exit, exec_enforce)\n"
		"  --target-pid PID     tests: report only PID and its children\n"
		"  --host-name NAME     host.name to report (default: gethostname)\n"
		"  -v, --verbose        libbpf and per-record diagnostics\n"
		"  --version, --help\n");
}

static int parse_args(struct opts *o, int argc, char **argv)
{
	enum { O_PROBE = 256, O_JSON, O_RING, O_FORCE, O_DISABLE, O_TARGET, O_HOST, O_VERSION };
	static const struct option lo[] = {
		{ "probe", no_argument, NULL, O_PROBE },
		{ "json", no_argument, NULL, O_JSON },
		{ "output", required_argument, NULL, 'o' },
		{ "ring-size", required_argument, NULL, O_RING },
		{ "force", required_argument, NULL, O_FORCE },
		{ "disable", required_argument, NULL, O_DISABLE },
		{ "target-pid", required_argument, NULL, O_TARGET },
		{ "host-name", required_argument, NULL, O_HOST },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char *eq, *end;
	int c, f;

	while ((c = getopt_long(argc, argv, "o:vh", lo, NULL)) != -1) {
		switch (c) {
		case O_PROBE: o->probe = 1; break;
		case O_JSON: o->json = 1; break;
		case 'o': o->output = optarg; break;
		case 'v': o->verbose = 1; break;
		case O_HOST: o->host_name = optarg; break;
		case O_RING:
			o->lo.ring_size = strtoul(optarg, &end, 0);
			if (*end || !o->lo.ring_size) {
				logmsg("--ring-size: bad value '%s' (expected bytes, a power of two)", optarg);
				return -1;
			}
			break;
		case O_TARGET:
			o->lo.target_tgid = strtoul(optarg, &end, 10);
			if (*end) {
				logmsg("--target-pid: bad value '%s'", optarg);
				return -1;
			}
			break;
		case O_FORCE:
			eq = strchr(optarg, '=');
			if (eq)
				*eq = 0;
			f = edr_feature_by_name(optarg);
			if (!eq || f < 0 || !strstr(edr_feature_paths(f), eq + 1)) {
				logmsg("--force: bad value '%s' (expected FEATURE=PATH, e.g. exec=raw_tp)", optarg);
				return -1;
			}
			o->lo.force[f] = eq + 1;
			break;
		case O_DISABLE:
			f = edr_feature_by_name(optarg);
			if (f < 0) {
				logmsg("--disable: unknown feature '%s'", optarg);
				return -1;
			}
			o->lo.disabled[f] = 1;
			break;
		case O_VERSION: printf("edr-sensor %s\n", EDR_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		logmsg("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

static void read_boot_id(char *out, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	out[0] = 0;
	if (f) {
		if (fgets(out, len, f))
			out[strcspn(out, "\n")] = 0;
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	static struct sensor s;
	struct edr_feature_status plan[EDR_FEAT__COUNT];
	struct epoll_event ev, evs[4];
	struct edr_probe probe;
	char err[256], boot_id[64];
	struct edr_sink *sink;
	sigset_t mask;
	int sfd = -1, efd = -1, running = 1, rc = 1, f, n, i;
	uint64_t last_drop_check = 0, last_reap = 0;

	if (parse_args(&s.opts, argc, argv))
		return 2;
	verbose = s.opts.verbose;
	if (edr_probe__privileged()) {
		logmsg("must run as root or with CAP_BPF and CAP_PERFMON to load BPF programs (uid %u)",
		       getuid());
		return 1;
	}
	edr_probe__run(&probe);
	if (s.opts.probe) {
		edr_loader__plan(&probe, &s.opts.lo, plan);
		print_probe(&probe, plan, s.opts.json);
		return 0;
	}
	s.ncpus = libbpf_num_possible_cpus();
	if (s.ncpus <= 0 || s.ncpus > MAX_CPUS) {
		logmsg("cannot count possible CPUs (%d)", s.ncpus);
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		logmsg("signalfd: %s", strerror(errno));
		return 1;
	}

	sink = edr_sink_file__new(s.opts.output);
	if (!sink) {
		logmsg("cannot open output '%s': %s", s.opts.output ? s.opts.output : "stdout", strerror(errno));
		goto out;
	}
	edr_output__add(&s.out, sink);
	if (edr_ecs__init(&s.ecs, s.opts.host_name)) {
		logmsg("out of memory");
		goto out;
	}
	edr_json_init(&s.j);
	read_boot_id(boot_id, sizeof(boot_id));
	s.procs = edr_proctable__new(0, boot_id);
	if (!s.procs) {
		logmsg("cannot create the process table: %s", strerror(errno));
		goto out;
	}

	s.opts.lo.self_tgid = getpid();
	/* Batch wake-ups: the loop also wakes every POLL_MS, bounding latency. */
	s.opts.lo.wakeup_bytes = (s.opts.lo.ring_size ? s.opts.lo.ring_size : 8u << 20) / 16;
	s.opts.lo.log = loader_log;
	s.loader = edr_loader__new(&probe, &s.opts.lo, err, sizeof(err));
	if (!s.loader) {
		logmsg("%s", err);
		goto out;
	}
	for (f = 0; f < EDR_FEAT__COUNT; f++) {
		const struct edr_feature_status *st = &edr_loader__status(s.loader)[f];

		if (st->state == EDR_FEAT_ACTIVE || st->state == EDR_FEAT_DEGRADED)
			logmsg("feature %s: %s via %s", st->name, edr_feat_state_name(st->state),
			       st->paths[st->chosen]);
		else
			logmsg("feature %s: %s (%s)", st->name, edr_feat_state_name(st->state),
			       st->npaths ? st->why[st->npaths - 1] : "no path");
	}
	/* Attached first, then seeded: a process that starts in between is
	 * seen by both, and the event wins. */
	n = edr_proctable__seed(s.procs, "/proc");
	if (n < 0)
		logmsg("cannot seed the process table from /proc: %s, ignoring", strerror(-n));

	s.rb = ring_buffer__new(edr_loader__ring_fd(s.loader), on_record, &s, NULL);
	if (!s.rb) {
		logmsg("cannot open the ring buffer: %s", strerror(errno));
		goto out;
	}
	efd = epoll_create1(EPOLL_CLOEXEC);
	if (efd < 0) {
		logmsg("epoll: %s", strerror(errno));
		goto out;
	}
	ev.events = EPOLLIN;
	ev.data.u32 = 1;
	if (epoll_ctl(efd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(s.rb), &ev)) {
		logmsg("epoll_ctl: %s", strerror(errno));
		goto out;
	}
	ev.data.u32 = 2;
	if (epoll_ctl(efd, EPOLL_CTL_ADD, sfd, &ev)) {
		logmsg("epoll_ctl: %s", strerror(errno));
		goto out;
	}
	logmsg("running, %zu processes known", edr_proctable__count(s.procs));

	while (running) {
		uint64_t now;

		n = epoll_wait(efd, evs, 4, POLL_MS);
		if (n < 0 && errno != EINTR) {
			logmsg("epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.u32 == 2) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						int e = edr_output__reopen(&s.out);

						if (e)
							logmsg("SIGHUP: cannot reopen output: %s", strerror(-e));
					} else {
						running = 0;
					}
				}
			}
		}
		if (ring_buffer__consume(s.rb) < 0 && errno != EINTR)
			logmsg("ring buffer: %s", strerror(errno));
		now = boot_ns();
		if (now - last_drop_check >= 100000000ull) {
			report_drops(&s);
			last_drop_check = now;
		}
		if (now - last_reap >= 1000000000ull) {
			edr_proctable__reap(s.procs, now, 30ull * 1000000000ull);
			last_reap = now;
		}
		edr_output__flush(&s.out);
	}
	rc = 0;
out:
	/* Detach first, then drain what the programs left in the ring, so the
	 * counters read last are final. */
	edr_loader__detach(s.loader);
	if (s.rb) {
		ring_buffer__consume(s.rb);
		report_drops(&s);
	}
	edr_output__flush(&s.out);
	if (s.loader || s.rb)
		logmsg("stopped: events read %llu, emitted %llu, dropped %llu, decode errors %llu, sequence %llu",
		       (unsigned long long)s.c.read, (unsigned long long)s.c.emitted,
		       (unsigned long long)s.kernel_drops, (unsigned long long)s.c.decode_errors_total,
		       (unsigned long long)s.kernel_seq);
	ring_buffer__free(s.rb);
	edr_loader__free(s.loader);
	edr_proctable__free(s.procs);
	edr_ecs__fini(&s.ecs);
	edr_json_free(&s.j);
	edr_output__free(&s.out);
	if (efd >= 0)
		close(efd);
	if (sfd >= 0)
		close(sfd);
	return rc;
}
