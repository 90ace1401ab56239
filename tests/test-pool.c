/* SPDX-License-Identifier: MIT */
/* test-pool.c: the task pool with real forked workers that get killed, exit and crash. */
#include <dirent.h>
#include <limits.h>
#include <malloc.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "harness.h"
#include "pool_internal.h"

/* The parent of `pid` and its state letter, from /proc/<pid>/stat (0 when
 * it cannot be read). The command name may hold spaces: parse after ')'. */
static int ppid_of(int pid, char *state)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[k] = 0;
    char *rp = strrchr(buf, ')');
    int ppid;
    if (!rp || sscanf(rp + 1, " %c %d", state, &ppid) != 2)
        return 0;
    return ppid;
}

/* Children of this process still in /proc (zombies included). */
static int count_children(void)
{
    DIR *d = opendir("/proc");
    ASSERT_TRUE(d != NULL);
    int n = 0;
    struct dirent *e;
    char state;
    while ((e = readdir(d))) {
        int pid = atoi(e->d_name);
        if (pid > 0 && ppid_of(pid, &state) == (int)getpid())
            n++;
    }
    closedir(d);
    return n;
}

/* What a test task asks its worker to do. */
enum { DO_SQUARE = 0, DO_HANG = 1, DO_EXIT3 = 2, DO_SEGV = 3, DO_FAIL = 4,
       DO_DIE_FIRST = 5, DO_SLOW = 6, DO_PACED = 7, DO_FAIL_SAY = 8,
       DO_FAIL_LONG = 9, DO_GATE = 10, DO_HANG_FIRST = 11, DO_SPIN = 12 };

struct task {
    uint32_t what;
    uint32_t x;
};

/* Tasks whose runs the workers count (ctl.ran, ctl.pid). */
#define TRACKED 256u

struct ctl {
    _Atomic int hang_pid;
    _Atomic uint32_t first_runs;
    _Atomic uint32_t runs, kills_done; /* DO_PACED and its killer */
    _Atomic uint32_t ran[TRACKED];     /* runs started of tasks x < TRACKED */
    _Atomic int pid[TRACKED];          /* the worker that last ran task x */
    _Atomic uint32_t gate, at_gate;    /* DO_GATE: wait for gate != 0 */
    _Atomic int hook_elsewhere;        /* fork hooks run in a worker */
    _Atomic int spinning;              /* DO_SPIN: workers spinning */
};

/* DO_PACED: kill k (k < PACED_KILLS) is due once PACED_EVERY * (k + 1)
 * tasks have run; a task that finds a due kill not done waits for it
 * (bounded), so the killer keeps up however the machine schedules it. */
#define PACED_EVERY 1000u
#define PACED_KILLS 8u

static int run_task(const void *task, size_t len, void *result, size_t cap,
                    size_t *out, void *arg)
{
    struct ctl *c = arg;
    struct task t;
    if (len != sizeof t || cap < sizeof(uint64_t))
        return COORD_EINVAL;
    memcpy(&t, task, sizeof t);
    if (t.x < TRACKED) {
        atomic_fetch_add(&c->ran[t.x], 1);
        atomic_store(&c->pid[t.x], (int)getpid());
    }
    switch (t.what) {
    case DO_HANG:
        /* Tell the test who we are, then wait to be killed mid-task. */
        atomic_store(&c->hang_pid, (int)getpid());
        for (;;)
            pause();
    case DO_EXIT3:
        exit(3);
    case DO_SEGV:
        raise(SIGSEGV);
        break;
    case DO_FAIL:
        return COORD_ERANGE;
    case DO_FAIL_SAY: {
        /* Fails, and says why in its result bytes. */
        uint64_t why = 0xbad0000u + t.x;
        memcpy(result, &why, sizeof why);
        *out = sizeof why;
        return COORD_ERANGE;
    }
    case DO_FAIL_LONG:
        /* Fails, claiming more bytes than its buffer holds. */
        *out = cap + 1;
        return COORD_ERANGE;
    case DO_GATE: {
        atomic_fetch_add(&c->at_gate, 1);
        uint64_t dl = coord_clock_ns() + 10000000000ull;
        while (!atomic_load(&c->gate) && coord_clock_ns() < dl)
            usleep(100);
        break;
    }
    case DO_SPIN: {
        /* Busy in user code, no system call, until killed (30 s at most:
         * a worker left behind by a failing test does not spin for ever). */
        atomic_fetch_add(&c->spinning, 1);
        uint64_t dl = coord_clock_ns() + 30000000000ull;
        while (coord_clock_ns() < dl)
            ;
        break;
    }
    case DO_HANG_FIRST:
        /* The first run: as DO_HANG. Later runs: a square. */
        if (atomic_fetch_add(&c->first_runs, 1) == 0) {
            atomic_store(&c->hang_pid, (int)getpid());
            for (;;)
                pause();
        }
        break;
    case DO_DIE_FIRST:
        if (atomic_fetch_add(&c->first_runs, 1) == 0)
            raise(SIGKILL);
        break;
    case DO_SLOW:
        usleep(200);
        break;
    case DO_PACED: {
        uint32_t due = (atomic_fetch_add(&c->runs, 1) + 1) / PACED_EVERY;
        if (due > PACED_KILLS)
            due = PACED_KILLS;
        uint64_t dl = coord_clock_ns() + 10000000000ull;
        while (atomic_load(&c->kills_done) < due && coord_clock_ns() < dl)
            usleep(50);
        break;
    }
    }
    uint64_t sq = (uint64_t)t.x * t.x;
    memcpy(result, &sq, sizeof sq);
    *out = sizeof sq;
    return 0;
}

static struct ctl *new_ctl(void)
{
    struct ctl *c = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(c != MAP_FAILED);
    return c;
}

/* Submit n tasks (task i does what[i] or squares), shut down, collect.
 * Checks every id has exactly one result and that squares are right;
 * stores the result of each id in res[]. */
static void map(coord_pool *p, uint32_t n, const uint32_t *what,
                coord_task_result *res)
{
    for (uint32_t i = 0; i < n; i++) {
        struct task t = {what ? what[i] : DO_SQUARE, i};
        uint64_t id;
        ASSERT_OK(coord_pool_submit(p, &t, sizeof t, &id, 20000));
        ASSERT_EQ_U(id, i);
    }
    ASSERT_OK(coord_pool_shutdown(p, 30000));
    /* Joined before reading: no worker process is left. */
    ASSERT_EQ(count_children(), 0);
    static bool seen[100000];
    memset(seen, 0, sizeof seen);
    for (uint32_t k = 0; k < n; k++) {
        coord_task_result r;
        uint64_t v = 0;
        ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 0));
        ASSERT_LT(r.id, n);
        ASSERT_FALSE(seen[r.id]);
        seen[r.id] = true;
        if (r.status == 0) {
            ASSERT_EQ(r.len, sizeof v);
            ASSERT_EQ_U(v, (uint64_t)r.id * r.id);
        }
        res[r.id] = r;
    }
    coord_task_result r;
    ASSERT_CODE(coord_pool_result(p, &r, NULL, 0, 0), COORD_ENODATA);
    ASSERT_CODE(coord_pool_result(p, &r, NULL, 0, -1), COORD_ENODATA);
}

static coord_pool *start_chunked(unsigned workers, unsigned retries,
                                 bool replace, unsigned chunk, struct ctl *c)
{
    coord_pool_opts o;
    coord_pool_opts_init(&o);
    o.workers = workers;
    o.max_task = sizeof(struct task);
    o.max_result = sizeof(uint64_t);
    o.queue_capacity = 64;
    o.retries = retries;
    o.no_replace = !replace;
    o.chunk = chunk;
    coord_pool *p;
    ASSERT_OK(coord_pool_start(&p, &o, run_task, c));
    return p;
}

static coord_pool *start(unsigned workers, unsigned retries, bool replace,
                         struct ctl *c)
{
    return start_chunked(workers, retries, replace, 0, c);
}

static coord_task_result results[100000];

/* Any count (for end_with_counts). */
#define ANY UINT64_MAX

/* Check the pool's death, retirement, restart and failure counts (ANY:
 * not checked), then destroy it. */
static void end_with_counts(coord_pool *p, uint64_t deaths, uint64_t retired,
                            uint64_t restarts, uint64_t failed)
{
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.deaths, deaths);
    ASSERT_EQ(st.retired, retired);
    if (restarts != ANY)
        ASSERT_EQ(st.restarts, restarts);
    ASSERT_EQ(st.failed, failed);
    coord_pool_destroy(p);
}

/* The same for a pool whose workers do not retire. */
static void end_with_stats(coord_pool *p, uint64_t deaths, uint64_t restarts,
                           uint64_t failed)
{
    end_with_counts(p, deaths, 0, restarts, failed);
}

/* A map of (size_t)-1 tasks (a count gone negative) is refused: it used
 * to wrap the id reservation and spin for ever doubling the result list. */
/* A pool started from a zeroed coord_pool_opts with `workers` and `chunk`
 * set (0: their defaults); fails the case if it does not start. */
static coord_pool *start_zeroed(unsigned workers, unsigned chunk,
                                coord_task_fn fn, void *arg)
{
    coord_pool_opts o;
    memset(&o, 0, sizeof o);
    o.workers = workers;
    o.chunk = chunk;
    coord_pool *p = NULL;
    ASSERT_OK(coord_pool_start(&p, &o, fn, arg));
    return p;
}

TEST(pool_map_of_a_count_no_memory_holds)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(1, 0, true, c);
    struct task t = {DO_SQUARE, 3};
    uint64_t v = 0;
    ASSERT_EQ(coord_pool_map(p, &t, 1, sizeof t, &v, sizeof v, NULL, 20000), 0);
    ASSERT_EQ_U(v, 9);
    alarm(30); /* a regression fails the case, it does not hang it */
    ASSERT_CODE(coord_pool_map(p, &t, SIZE_MAX, sizeof t, &v, sizeof v, NULL, 2000),
                COORD_EINVAL);
    ASSERT_CODE(coord_pool_map(p, &t, SIZE_MAX / 2, 1, NULL, 0, NULL, 2000),
                COORD_ENOMEM);
    alarm(0);
    ASSERT_EQ(coord_pool_map(p, &t, 1, sizeof t, &v, sizeof v, NULL, 20000), 0);
    coord_pool_destroy(p);
}

TEST(pool_basic)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(4, 0, true, c);
    ASSERT_EQ(count_children(), 4);
    map(p, 5000, NULL, results);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.workers, 4);
    ASSERT_EQ(st.live, 0);
    ASSERT_EQ(st.submitted, 5000);
    ASSERT_EQ(st.succeeded, 5000);
    ASSERT_EQ(st.failed, 0);
    ASSERT_EQ(st.deaths, 0);
    ASSERT_EQ(st.pending, 0);
    uint64_t done = 0;
    for (unsigned i = 0; i < 4; i++) {
        coord_pool_worker_stats ws;
        ASSERT_OK(coord_pool_get_worker_stats(p, i, &ws));
        ASSERT_FALSE(ws.alive);
        done += ws.done;
    }
    ASSERT_EQ(done, 5000);
    for (uint32_t i = 0; i < 5000; i++)
        ASSERT_EQ(results[i].attempts, 1);
    /* A second shutdown is a no-op; submits are refused. */
    ASSERT_OK(coord_pool_shutdown(p, 0));
    struct task t = {DO_SQUARE, 1};
    ASSERT_CODE(coord_pool_submit(p, &t, sizeof t, NULL, 0), COORD_ECLOSED);
    coord_pool_destroy(p);
    ASSERT_EQ(count_children(), 0);
}

/* A forked child that frees its copy of the pool (a library that cleans up
 * at exit, a Python object collected in the child) leaves the owner's pool
 * alone: it used to close the owner's task queue and SIGKILL its workers
 * (their pidfds and pids reach them from a sibling too). */
static int destroy_copy(void *arg)
{
    coord_pool *p = arg;
    /* The calls that would use the starter's queues are refused here (a
     * child's shutdown put pills that ended the starter's workers). */
    struct task t = {DO_SQUARE, 1};
    coord_task_result r;
    if (coord_pool_submit(p, &t, sizeof t, NULL, 0) != COORD_ECHILD ||
        coord_pool_result(p, &r, NULL, 0, 0) != COORD_ECHILD ||
        coord_pool_map(p, &t, 1, sizeof t, NULL, 0, NULL, 0) != COORD_ECHILD ||
        coord_pool_shutdown(p, 0) != COORD_ECHILD)
        return 1;
    coord_pool_destroy(p);
    return 0;
}

TEST(pool_destroy_in_a_forked_child_leaves_the_owners_pool)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(2, 0, true, c);
    test_join_ok(test_fork(destroy_copy, p), 20000);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.live, 2);
    map(p, 100, NULL, results); /* submits, shutdown and every result */
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.succeeded, 100);
    ASSERT_EQ(st.deaths, 0);
    coord_pool_destroy(p);
    ASSERT_EQ(count_children(), 0);
}

/* Fault probe (a): a worker SIGKILLed mid-task; the map must return. */
TEST(pool_worker_killed_mid_task)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(3, 0, true, c);
    static uint32_t what[300];
    what[123] = DO_HANG;
    for (uint32_t i = 0; i < 300; i++) {
        struct task t = {what[i], i};
        ASSERT_OK(coord_pool_submit(p, &t, sizeof t, NULL, 20000));
    }
    WAIT_FOR(atomic_load(&c->hang_pid) != 0, 20000);
    ASSERT_OK(kill(atomic_load(&c->hang_pid), SIGKILL));
    ASSERT_OK(coord_pool_shutdown(p, 30000));
    ASSERT_EQ(count_children(), 0);
    uint32_t ok = 0, failed = 0;
    coord_task_result r;
    uint64_t v;
    while (coord_pool_result(p, &r, &v, sizeof v, 0) == 0) {
        if (r.id == 123) {
            ASSERT_CODE(r.status, COORD_EPEERDIED);
            ASSERT_TRUE(WIFSIGNALED(r.wait_status));
            ASSERT_EQ(WTERMSIG(r.wait_status), SIGKILL);
            ASSERT_TRUE(strstr(r.cause, "signal 9") != NULL);
            ASSERT_GE(r.worker, 0);
            ASSERT_EQ(r.attempts, 1);
            failed++;
        } else {
            ASSERT_OK(r.status);
            ASSERT_EQ_U(v, (uint64_t)r.id * r.id);
            ok++;
        }
    }
    ASSERT_EQ(ok, 299);
    ASSERT_EQ(failed, 1);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.deaths, 1);
    ASSERT_EQ(st.restarts, 1);
    ASSERT_EQ(st.failed, 1);
    ASSERT_EQ(st.succeeded, 299);
    coord_pool_destroy(p);
}

/* coord_pool_set_fork_hooks: what the hooks saw (the test's process). */
static struct {
    pid_t self;
    int before, after, depth, children_before, children_after;
    _Atomic int *elsewhere; /* shared: calls in any other process */
} hooks;

/* Each call: in the test's process, with before and after alternating;
 * the children counted (the dead worker reaped, the replacement not yet
 * forked or forked). */
static void hook_note(void *arg, int after)
{
    if (getpid() != hooks.self) {
        atomic_fetch_add(hooks.elsewhere, 1);
        return;
    }
    ASSERT_TRUE(arg == &hooks);
    ASSERT_EQ(hooks.depth, after);
    hooks.depth = !after;
    *(after ? &hooks.after : &hooks.before) += 1;
    *(after ? &hooks.children_after : &hooks.children_before) = count_children();
}

static void hook_before(void *arg)
{
    hook_note(arg, 0);
}

static void hook_after(void *arg)
{
    hook_note(arg, 1);
}

/* Kill the worker running a DO_HANG task and wait for its result. */
static void kill_hanging(coord_pool *p, struct ctl *c, uint32_t x)
{
    atomic_store(&c->hang_pid, 0);
    struct task t = {DO_HANG, x};
    ASSERT_OK(coord_pool_submit(p, &t, sizeof t, NULL, 20000));
    WAIT_FOR(atomic_load(&c->hang_pid) != 0, 20000);
    ASSERT_OK(kill(atomic_load(&c->hang_pid), SIGKILL));
    coord_task_result r;
    uint64_t v;
    ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 20000));
    ASSERT_CODE(r.status, COORD_EPEERDIED);
}

TEST(pool_fork_hooks_bracket_each_replacement)
{
    struct ctl *c = new_ctl();
    hooks.self = getpid();
    hooks.elsewhere = &c->hook_elsewhere;
    coord_pool *p = start(2, 0, true, c);
    ASSERT_CODE(coord_pool_set_fork_hooks(NULL, hook_before, hook_after, &hooks),
                COORD_EINVAL);
    ASSERT_CODE(coord_pool_set_fork_hooks(p, hook_before, NULL, &hooks),
                COORD_EINVAL);
    ASSERT_CODE(coord_pool_set_fork_hooks(p, NULL, hook_after, &hooks),
                COORD_EINVAL);
    ASSERT_OK(coord_pool_set_fork_hooks(p, hook_before, hook_after, &hooks));
    ASSERT_EQ(hooks.before, 0); /* start's forks came first */
    kill_hanging(p, c, 1);
    /* One replacement, forked between the two calls: before it the dead
     * worker was reaped and one worker was left, after it two. */
    ASSERT_EQ(hooks.before, 1);
    ASSERT_EQ(hooks.after, 1);
    ASSERT_EQ(hooks.children_before, 1);
    ASSERT_EQ(hooks.children_after, 2);
    /* Removed: the next replacement calls nothing. */
    ASSERT_OK(coord_pool_set_fork_hooks(p, NULL, NULL, NULL));
    kill_hanging(p, c, 2);
    ASSERT_OK(coord_pool_shutdown(p, 30000));
    ASSERT_EQ(hooks.before, 1);
    ASSERT_EQ(hooks.after, 1);
    ASSERT_EQ(atomic_load(hooks.elsewhere), 0);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.restarts, 2);
    /* In a fork of the starter the hooks are not the child's to set. */
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0)
        _exit(coord_pool_set_fork_hooks(p, hook_before, hook_after, &hooks) ==
                      COORD_ECHILD
                  ? 0
                  : 1);
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    coord_pool_destroy(p);
}

/* Pool calls made by a thread: the result it collected (a dead worker's
 * task), then a task run by the replacement (so that the replacement has
 * started before the thread exits), and the thread's id. */
struct thread_call {
    coord_pool *p;
    coord_task_result dead, next;
    int rc_dead, rc_submit, rc_next;
    uint64_t v;
    pid_t tid;
};

static void *results_in_a_thread(void *arg)
{
    struct thread_call *t = arg;
    t->tid = test_gettid();
    t->rc_dead = coord_pool_result(t->p, &t->dead, &t->v, sizeof t->v, 20000);
    struct task sq = {DO_SQUARE, 7};
    t->rc_submit = coord_pool_submit(t->p, &sq, sizeof sq, NULL, 20000);
    t->rc_next = coord_pool_result(t->p, &t->next, &t->v, sizeof t->v, 20000);
    return NULL;
}

/* SIGKILL a worker mid-task (the pool's only task outstanding), then let
 * a thread see the death, fork the replacement and run a task (7) in it,
 * and exit; returns once the kernel is done with the thread's exit. */
static void replace_in_a_thread(coord_pool *p, struct ctl *c)
{
    struct task t = {DO_HANG, 1};
    ASSERT_OK(coord_pool_submit(p, &t, sizeof t, NULL, 20000));
    WAIT_FOR(atomic_load(&c->hang_pid) != 0, 20000);
    ASSERT_OK(kill(atomic_load(&c->hang_pid), SIGKILL));
    struct thread_call call = {.p = p};
    pthread_t th;
    ASSERT_EQ(pthread_create(&th, NULL, results_in_a_thread, &call), 0);
    ASSERT_EQ(pthread_join(th, NULL), 0);
    ASSERT_OK(call.rc_dead);
    ASSERT_CODE(call.dead.status, COORD_EPEERDIED);
    ASSERT_OK(call.rc_submit);
    ASSERT_OK(call.rc_next);
    ASSERT_OK(call.next.status);
    ASSERT_EQ_U(call.v, 49);
    test_wait_thread_gone(call.tid, 20000);
}

/* A replacement worker forked by a pool call in a thread that then exits
 * lives on: workers were tied to the forking thread (PR_SET_PDEATHSIG,
 * which Linux fires when that thread exits), so the replacement was
 * SIGKILLed as the thread ended and the pool saw a second death (a task
 * failed for nothing, and another replacement). */
TEST(pool_replacement_outlives_the_thread_that_forked_it)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(1, 0, true, c);
    replace_in_a_thread(p, c);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.restarts, 1);
    coord_pool_worker_stats ws;
    ASSERT_OK(coord_pool_get_worker_stats(p, 0, &ws));
    ASSERT_TRUE(ws.alive);
    /* Tasks run in the replacement; shutdown joins it, so a death of it
     * is counted below. */
    for (uint32_t i = 0; i < 100; i++) {
        struct task sq = {DO_SQUARE, i};
        ASSERT_OK(coord_pool_submit(p, &sq, sizeof sq, NULL, 20000));
    }
    ASSERT_OK(coord_pool_shutdown(p, 30000));
    for (uint32_t i = 0; i < 100; i++) {
        coord_task_result r;
        uint64_t v;
        ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 0));
        ASSERT_OK(r.status);
        ASSERT_EQ(r.attempts, 1);
    }
    end_with_stats(p, 1, 1, 1);
}

/* What the owner of a pool (a child of the case) tells the case. */
struct owner_report {
    struct ctl *c;
    _Atomic int ready;
    _Atomic int worker[2];
    _Atomic int bystander;
};

/* The owner: two workers, one of them a replacement forked by a thread
 * that has exited since, both spinning in a task; and a bystander, a plain
 * fork() of the owner that outlives it. Then it waits to be killed. */
static int own_a_pool(void *arg)
{
    struct owner_report *rep = arg;
    struct ctl *c = rep->c;
    coord_pool *p = start(2, 0, true, c);
    replace_in_a_thread(p, c);
    for (uint32_t i = 0; i < 2; i++) {
        struct task spin = {DO_SPIN, 2 + i};
        ASSERT_OK(coord_pool_submit(p, &spin, sizeof spin, NULL, 20000));
    }
    WAIT_FOR(atomic_load(&c->spinning) == 2, 20000);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.deaths, 1);
    for (unsigned i = 0; i < 2; i++) {
        coord_pool_worker_stats ws;
        ASSERT_OK(coord_pool_get_worker_stats(p, i, &ws));
        ASSERT_TRUE(ws.alive);
        atomic_store(&rep->worker[i], ws.pid);
    }
    pid_t by = fork();
    ASSERT_TRUE(by >= 0);
    if (by == 0) {
        /* Lives until the case ends it (60 s at most). */
        for (int k = 0; k < 600; k++)
            usleep(100000);
        _exit(0);
    }
    atomic_store(&rep->bystander, by);
    atomic_store(&rep->ready, 1);
    for (;;)
        pause();
}

/* Workers die with the process that started them (SIGKILL), busy in a
 * task or not, and whichever of its threads forked them; a plain fork()
 * of that process, still alive, does not keep them alive (it would if it
 * had kept a copy of what ties them to their parent). */
TEST(pool_workers_die_with_their_process_not_its_threads)
{
    /* The workers, orphaned, become ours to wait for. */
    ASSERT_OK(prctl(PR_SET_CHILD_SUBREAPER, 1));
    struct owner_report *rep = mmap(NULL, sizeof *rep, PROT_READ | PROT_WRITE,
                                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(rep != MAP_FAILED);
    rep->c = new_ctl();
    pid_t owner = test_fork(own_a_pool, rep);
    WAIT_FOR(atomic_load(&rep->ready) || test_proc_state(owner) == 'Z', 30000);
    ASSERT_TRUE(atomic_load(&rep->ready)); /* else the owner failed */
    ASSERT_OK(kill(owner, SIGKILL));
    int st = test_wait(owner, 20000);
    ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    for (int i = 0; i < 2; i++) {
        st = test_wait(atomic_load(&rep->worker[i]), 20000);
        ASSERT_TRUE(WIFSIGNALED(st));
        ASSERT_EQ(WTERMSIG(st), SIGKILL);
    }
    pid_t by = atomic_load(&rep->bystander);
    char state = test_proc_state(by);
    ASSERT_TRUE(state == 'S' || state == 'R');
    ASSERT_OK(kill(by, SIGKILL));
    st = test_wait(by, 20000);
    ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

TEST(pool_worker_exit3)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(2, 0, true, c);
    static uint32_t what[200];
    what[7] = DO_EXIT3;
    what[150] = DO_EXIT3;
    what[50] = DO_FAIL;
    map(p, 200, what, results);
    for (uint32_t i = 0; i < 200; i++) {
        if (i == 7 || i == 150) {
            ASSERT_CODE(results[i].status, COORD_EPEERDIED);
            ASSERT_TRUE(WIFEXITED(results[i].wait_status));
            ASSERT_EQ(WEXITSTATUS(results[i].wait_status), 3);
            ASSERT_STR_EQ(results[i].cause, "exit 3");
        } else if (i == 50) {
            /* A callback's own failure is a result, not a death. */
            ASSERT_CODE(results[i].status, COORD_ERANGE);
        } else {
            ASSERT_OK(results[i].status);
        }
    }
    end_with_stats(p, 2, 2, 3);
}

#if !defined(__SANITIZE_ADDRESS__)
/* A task whose result is as big as the pool allows: `cap` bytes of 0x5a. */
static int big_task(const void *task, size_t len, void *result, size_t cap,
                    size_t *out, void *arg)
{
    (void)task;
    (void)len;
    (void)arg;
    memset(result, 0x5a, cap);
    *out = cap;
    return 0;
}

/* This process's address-space size in bytes (VmSize). */
static size_t vm_size(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    ASSERT_TRUE(f != NULL);
    char line[256];
    size_t kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %zu kB", &kib) == 1)
            break;
    fclose(f);
    ASSERT_TRUE(kib > 0);
    return kib * 1024;
}
#endif

TEST(pool_result_without_memory_is_reported)
{
#if defined(__SANITIZE_ADDRESS__)
    SKIP("ASan aborts on a failed malloc instead of returning NULL");
#else
    /* The parent cannot allocate the copy of a result: the task must
     * still get a result (COORD_ENOMEM, no data), so that nobody waits
     * for it forever, and the pool must go on. */
    enum { BIG = 4 << 20 };
    mallopt(M_MMAP_THRESHOLD, 128 * 1024); /* big blocks: always mmap */
    coord_pool_opts o;
    coord_pool_opts_init(&o);
    o.workers = 1;
    o.max_task = 8;
    o.max_result = BIG;
    o.queue_capacity = 4;
    coord_pool *p;
    ASSERT_OK(coord_pool_start(&p, &o, big_task, NULL));
    static unsigned char buf[BIG];
    coord_task_result r;
    ASSERT_OK(coord_pool_submit(p, "first", 6, NULL, 20000));
    /* Results land in the parent's arena: the first stays unread there
     * (too small a buffer), so the second needs the arena to grow. */
    ASSERT_CODE(coord_pool_result(p, &r, NULL, 0, 20000), COORD_ENOBUFS);
    ASSERT_EQ(r.len, BIG);
    ASSERT_OK(coord_pool_submit(p, "second", 7, NULL, 20000));
    struct rlimit old, lim;
    ASSERT_OK(getrlimit(RLIMIT_AS, &old));
    lim = old;
    lim.rlim_cur = vm_size() + (1u << 20); /* no room for 4 MiB more */
    ASSERT_OK(setrlimit(RLIMIT_AS, &lim));
    int rc = coord_pool_shutdown(p, 20000); /* collects the second */
    ASSERT_OK(setrlimit(RLIMIT_AS, &old));
    ASSERT_OK(rc);
    ASSERT_OK(coord_pool_result(p, &r, buf, sizeof buf, 0));
    ASSERT_OK(r.status);
    ASSERT_EQ(r.len, BIG);
    ASSERT_EQ(buf[BIG - 1], 0x5a);
    ASSERT_OK(coord_pool_result(p, &r, buf, sizeof buf, 0));
    ASSERT_EQ(r.id, 1);
    ASSERT_CODE(r.status, COORD_ENOMEM);
    ASSERT_EQ(r.len, 0);
    ASSERT_TRUE(strstr(r.cause, "out of memory") != NULL);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.failed, 1);
    ASSERT_EQ(st.succeeded, 1);
    coord_pool_destroy(p);
#endif
}

TEST(pool_sigchld_ignored_worker_exit)
{
    /* With SIGCHLD ignored the kernel reaps dead workers itself: the pool
     * must still see them go (through their pidfds), report their tasks
     * and replace them, instead of waiting for them forever. */
    signal(SIGCHLD, SIG_IGN);
    struct ctl *c = new_ctl();
    coord_pool *p = start(2, 0, true, c);
    static uint32_t what[100];
    what[3] = DO_EXIT3;
    what[60] = DO_EXIT3;
    map(p, 100, what, results);
    for (uint32_t i = 0; i < 100; i++) {
        if (i == 3 || i == 60) {
            ASSERT_CODE(results[i].status, COORD_EPEERDIED);
            ASSERT_EQ(results[i].wait_status, -1);
            ASSERT_STR_EQ(results[i].cause,
                          "reaped elsewhere (status unknown)");
        } else {
            ASSERT_OK(results[i].status);
        }
    }
    end_with_stats(p, 2, 2, 2);
}

TEST(pool_worker_segfault)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(2, 0, true, c);
    static uint32_t what[100];
    what[42] = DO_SEGV;
    map(p, 100, what, results);
    ASSERT_CODE(results[42].status, COORD_EPEERDIED);
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer catches the signal, reports and exits non-zero. */
    ASSERT_TRUE(WIFSIGNALED(results[42].wait_status) ||
                (WIFEXITED(results[42].wait_status) &&
                 WEXITSTATUS(results[42].wait_status) != 0));
#else
    ASSERT_TRUE(WIFSIGNALED(results[42].wait_status));
    ASSERT_EQ(WTERMSIG(results[42].wait_status), SIGSEGV);
    ASSERT_TRUE(strstr(results[42].cause, "signal 11") != NULL);
#endif
    for (uint32_t i = 0; i < 100; i++)
        if (i != 42)
            ASSERT_OK(results[i].status);
    coord_pool_destroy(p);
}

TEST(pool_retry_after_death)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(2, 2, true, c);
    static uint32_t what[100];
    what[10] = DO_DIE_FIRST; /* killed on its first run only */
    map(p, 100, what, results);
    ASSERT_OK(results[10].status);
    ASSERT_EQ(results[10].attempts, 2);
    ASSERT_EQ(atomic_load(&c->first_runs), 2);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.retried, 1);
    ASSERT_EQ(st.deaths, 1);
    ASSERT_EQ(st.succeeded, 100);
    coord_pool_destroy(p);
}

TEST(pool_all_workers_dead_no_replace)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(2, 0, false, c);
    static uint32_t what[20];
    for (int i = 0; i < 20; i++)
        what[i] = DO_EXIT3;
    for (uint32_t i = 0; i < 20; i++) {
        struct task t = {what[i], i};
        ASSERT_OK(coord_pool_submit(p, &t, sizeof t, NULL, 20000));
    }
    /* Both workers die; every task still gets a result (read while the
     * pool runs), nothing hangs, and later submits are refused. */
    uint32_t n = 0, exit3 = 0;
    coord_task_result r;
    for (; n < 20; n++) {
        ASSERT_OK(coord_pool_result(p, &r, NULL, 0, 20000));
        ASSERT_CODE(r.status, COORD_EPEERDIED);
        exit3 += strcmp(r.cause, "exit 3") == 0;
    }
    ASSERT_EQ(exit3, 2);
    ASSERT_CODE(coord_pool_result(p, &r, NULL, 0, -1), COORD_ENODATA);
    struct task t = {DO_SQUARE, 1};
    ASSERT_CODE(coord_pool_submit(p, &t, sizeof t, NULL, 1000),
                COORD_EPEERDIED);
    ASSERT_OK(coord_pool_shutdown(p, 30000));
    ASSERT_EQ(count_children(), 0);
    ASSERT_CODE(coord_pool_submit(p, &t, sizeof t, NULL, 0), COORD_ECLOSED);
    coord_pool_destroy(p);
}

/* The last worker dies while submit waits on a full task queue: submit
 * must say so (not wait forever, not accept a task nobody can run). */
TEST(pool_submit_while_last_worker_dies)
{
    struct ctl *c = new_ctl();
    coord_pool_opts o;
    coord_pool_opts_init(&o);
    o.workers = 1;
    o.max_task = sizeof(struct task);
    o.max_result = sizeof(uint64_t);
    o.queue_capacity = 1;
    o.no_replace = true;
    coord_pool *p;
    ASSERT_OK(coord_pool_start(&p, &o, run_task, c));
    uint32_t accepted = 0;
    int r = 0;
    for (uint32_t i = 0; i < 50; i++) {
        struct task t = {i == 0 ? DO_EXIT3 : DO_SQUARE, i};
        r = coord_pool_submit(p, &t, sizeof t, NULL, 20000);
        if (r != 0)
            break;
        accepted++;
    }
    ASSERT_CODE(r, COORD_EPEERDIED);
    ASSERT_GE(accepted, 1);
    ASSERT_OK(coord_pool_shutdown(p, 20000));
    ASSERT_EQ(count_children(), 0);
    uint32_t n = 0;
    coord_task_result res;
    uint64_t v;
    while (coord_pool_result(p, &res, &v, sizeof v, 0) == 0) {
        ASSERT_CODE(res.status, COORD_EPEERDIED);
        n++;
    }
    ASSERT_EQ(n, accepted);
    coord_pool_destroy(p);
}

/* 3000 slow tasks in chunks of `chunk` (0: automatic), a worker SIGKILLed
 * every 150 submits: every task ends with exactly one good result. */
static void random_kills(unsigned chunk)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start_chunked(4, 50, true, chunk, c);
    static uint32_t what[3000];
    for (int i = 0; i < 3000; i++)
        what[i] = DO_SLOW;
    uint64_t rng = 88172645463325252ull;
    int kills = 0;
    /* A worker killed but not yet reaped still shows alive, and a second
     * kill() of it succeeds: count each incarnation of a slot (its restart
     * count) once, or one death would be counted as two kills. */
    uint64_t killed_incarnation[4] = {UINT64_MAX, UINT64_MAX, UINT64_MAX,
                                      UINT64_MAX};
    for (uint32_t i = 0; i < 3000; i++) {
        struct task t = {what[i], i};
        ASSERT_OK(coord_pool_submit(p, &t, sizeof t, NULL, 20000));
        test_rand(&rng);
        if (i % 150 == 0 && i > 0) {
            unsigned slot = (unsigned)(rng % 4);
            coord_pool_worker_stats ws;
            ASSERT_OK(coord_pool_get_worker_stats(p, slot, &ws));
            if (ws.alive && killed_incarnation[slot] != ws.restarts &&
                kill(ws.pid, SIGKILL) == 0) {
                killed_incarnation[slot] = ws.restarts;
                kills++;
            }
        }
    }
    ASSERT_OK(coord_pool_shutdown(p, 60000));
    ASSERT_EQ(count_children(), 0);
    static bool seen[3000];
    coord_task_result r;
    uint64_t v;
    uint32_t n = 0;
    while (coord_pool_result(p, &r, &v, sizeof v, 0) == 0) {
        ASSERT_LT(r.id, 3000);
        ASSERT_FALSE(seen[r.id]);
        seen[r.id] = true;
        ASSERT_OK(r.status); /* every killed task was run again */
        ASSERT_EQ_U(v, (uint64_t)r.id * r.id);
        n++;
    }
    ASSERT_EQ(n, 3000);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.deaths, (uint64_t)kills);
    ASSERT_LE(st.retried, (uint64_t)kills);
    ASSERT_GT(kills, 5);
    coord_pool_destroy(p);
}

TEST(pool_random_kills_with_retries)
{
    random_kills(0);
}

TEST(pool_random_kills_in_chunks)
{
    random_kills(16);
}

/* A worker dies in the middle of a chunk: the tasks it finished keep their
 * results (read from its record), the one it was running is reported once
 * with the cause, the ones it had not started run on its replacement as
 * first attempts. */
TEST(pool_death_mid_chunk_settles_each_task_once)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start_chunked(1, 0, true, 8, c);
    static uint32_t what[8];
    what[3] = DO_EXIT3;
    static coord_task_result res[8];
    map(p, 8, what, res);
    for (int i = 0; i < 8; i++) {
        ASSERT_EQ(res[i].attempts, 1);
        /* Each ran once: the results of 0..2 were kept from the dead
         * worker's record, 4..7 ran only on the replacement. */
        ASSERT_EQ(atomic_load(&c->ran[i]), 1);
        if (i == 3) {
            ASSERT_CODE(res[i].status, COORD_EPEERDIED);
            ASSERT_STR_EQ(res[i].cause, "exit 3");
            ASSERT_EQ(res[i].worker, 0);
        } else {
            ASSERT_OK(res[i].status);
        }
    }
    end_with_stats(p, 1, 1, 1);
    /* With a retry, the running task runs again (attempt 2); nothing else
     * counts as retried. */
    c = new_ctl();
    p = start_chunked(1, 1, true, 8, c);
    memset(what, 0, sizeof what);
    what[5] = DO_DIE_FIRST;
    map(p, 8, what, res);
    for (int i = 0; i < 8; i++) {
        ASSERT_OK(res[i].status);
        ASSERT_EQ(res[i].attempts, i == 5 ? 2 : 1);
    }
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.retried, 1);
    ASSERT_EQ(st.chunk, 8);
    end_with_stats(p, 1, 1, 0);
}

/* The killer of pool_map_kills_in_auto_chunks: PACED_KILLS times, once
 * its kill is due, SIGKILL a child of `parent` (a worker) it has not
 * killed before. Exit 0 when all were done. */
static void paced_killer(struct ctl *c, pid_t parent)
{
    static int killed[PACED_KILLS];
    uint64_t dl = coord_clock_ns() + 30000000000ull;
    for (uint32_t k = 0; k < PACED_KILLS; k++) {
        while (atomic_load(&c->runs) < PACED_EVERY * (k + 1) &&
               coord_clock_ns() < dl)
            usleep(50);
        int victim = 0;
        while (victim == 0 && coord_clock_ns() < dl) {
            DIR *d = opendir("/proc");
            struct dirent *e;
            while (d && victim == 0 && (e = readdir(d))) {
                int pid = atoi(e->d_name);
                char state;
                if (pid <= 0 || pid == (int)getpid() ||
                    ppid_of(pid, &state) != (int)parent || state == 'Z')
                    continue;
                bool again = false;
                for (uint32_t j = 0; j < k; j++)
                    again |= killed[j] == pid;
                if (!again)
                    victim = pid;
            }
            if (d)
                closedir(d);
            if (victim == 0)
                usleep(100); /* a replacement is being forked */
        }
        if (victim == 0 || kill(victim, SIGKILL) != 0)
            _exit(1);
        killed[k] = victim;
        atomic_fetch_add(&c->kills_done, 1);
    }
    _exit(0);
}

/* Workers SIGKILLed while a map runs in automatic chunks: every task ends
 * with exactly one good result (the running ones retried, the others
 * queued again or kept from the dead worker's record), one death per kill,
 * no zombie. */
TEST(pool_map_kills_in_auto_chunks)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(3, 50, true, c);
    enum { N = 20000 };
    static struct task tasks[N];
    static uint64_t out[N];
    static coord_task_result info[N];
    for (uint32_t i = 0; i < N; i++)
        tasks[i] = (struct task){DO_PACED, i};
    pid_t parent = getpid();
    pid_t killer = fork();
    ASSERT_TRUE(killer >= 0);
    if (killer == 0)
        paced_killer(c, parent);
    int failed = coord_pool_map(p, tasks, N, sizeof tasks[0], out,
                                sizeof out[0], info, 60000);
    test_join_ok(killer, 30000);
    ASSERT_EQ(failed, 0);
    for (uint32_t i = 0; i < N; i++) {
        ASSERT_OK(info[i].status);
        ASSERT_EQ_U(info[i].id, i);
        ASSERT_EQ_U(out[i], (uint64_t)i * i);
    }
    ASSERT_OK(coord_pool_shutdown(p, 30000));
    ASSERT_EQ(count_children(), 0);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.deaths, PACED_KILLS);
    ASSERT_LE(st.retried, PACED_KILLS);
    ASSERT_TRUE(st.task_ns > 0); /* the workers measured, k was chosen */
    coord_pool_destroy(p);
}

/* Python's Pool.map hangs when a worker is SIGKILLed; ours returns. */
TEST(pool_map_returns_despite_killed_worker)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(3, 0, true, c);
    /* Two submits before the map: their results must stay for
     * coord_pool_result, not be swallowed by the map. */
    struct task pre[2] = {{DO_SQUARE, 1000}, {DO_SQUARE, 1001}};
    ASSERT_OK(coord_pool_submit(p, &pre[0], sizeof pre[0], NULL, 1000));
    ASSERT_OK(coord_pool_submit(p, &pre[1], sizeof pre[1], NULL, 1000));
    static struct task tasks[2000];
    static uint64_t out[2000];
    static coord_task_result info[2000];
    for (uint32_t i = 0; i < 2000; i++)
        tasks[i] = (struct task){i == 777 ? DO_HANG : DO_SQUARE, i};
    /* The test kills the hanging worker from a helper process, while the
     * map waits. */
    pid_t killer = fork();
    ASSERT_TRUE(killer >= 0);
    if (killer == 0) {
        uint64_t dl = coord_clock_ns() + 20000000000ull;
        while (atomic_load(&c->hang_pid) == 0 && coord_clock_ns() < dl)
            usleep(100);
        int victim = atomic_load(&c->hang_pid);
        if (victim > 0) /* never kill(0): that is our process group */
            kill(victim, SIGKILL);
        _exit(victim > 0 ? 0 : 1);
    }
    int failed = coord_pool_map(p, tasks, 2000, sizeof tasks[0], out,
                                sizeof out[0], info, 30000);
    test_join_ok(killer, 5000);
    ASSERT_EQ(failed, 1);
    for (uint32_t i = 0; i < 2000; i++) {
        if (i == 777) {
            ASSERT_CODE(info[i].status, COORD_EPEERDIED);
            ASSERT_TRUE(strstr(info[i].cause, "signal 9") != NULL);
            ASSERT_EQ_U(info[i].id, 2 + 777);
        } else {
            ASSERT_OK(info[i].status);
            ASSERT_EQ_U(out[i], (uint64_t)i * i);
        }
    }
    /* A result too long for the slot is refused, not truncated. */
    uint32_t small[4];
    coord_task_result si[4];
    ASSERT_EQ(coord_pool_map(p, tasks, 4, sizeof tasks[0], small,
                             sizeof small[0], si, 10000),
              4);
    ASSERT_CODE(si[0].status, COORD_ENOBUFS);
    ASSERT_EQ(coord_pool_map(p, tasks, 0, sizeof tasks[0], NULL, 0, NULL, 0),
              0);
    ASSERT_CODE(coord_pool_map(p, tasks, 1, 64, NULL, 0, NULL, 0),
                COORD_EMSGSIZE);
    ASSERT_CODE(coord_pool_map(p, NULL, 1, sizeof tasks[0], NULL, 0, NULL, 0),
                COORD_EINVAL);
    ASSERT_OK(coord_pool_shutdown(p, 20000));
    ASSERT_EQ(count_children(), 0);
    /* The two earlier results are still there, each once, in completion
     * order (pool.h): with 3 workers either may finish first. */
    coord_task_result r;
    uint64_t v;
    bool seen[2] = {false, false};
    for (int k = 0; k < 2; k++) {
        ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 0));
        ASSERT_TRUE(r.id < 2 && !seen[r.id]);
        seen[r.id] = true;
        ASSERT_EQ_U(v, (1000 + r.id) * (1000 + r.id));
    }
    ASSERT_CODE(coord_pool_result(p, &r, &v, sizeof v, 0), COORD_ENODATA);
    coord_pool_destroy(p);
}

TEST(pool_destroy_kills_running_workers)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(3, 0, true, c);
    struct task t = {DO_HANG, 0};
    ASSERT_OK(coord_pool_submit(p, &t, sizeof t, NULL, 1000));
    WAIT_FOR(atomic_load(&c->hang_pid) != 0, 20000);
    /* Shutdown cannot finish: the task hangs. It times out, loses nothing. */
    ASSERT_CODE(coord_pool_shutdown(p, 50), COORD_ETIMEDOUT);
    ASSERT_CODE(coord_pool_shutdown(p, 0), COORD_EAGAIN);
    coord_task_result r;
    ASSERT_CODE(coord_pool_result(p, &r, NULL, 0, 0), COORD_EAGAIN);
    ASSERT_CODE(coord_pool_result(p, &r, NULL, 0, 20), COORD_ETIMEDOUT);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.pending, 1);
    ASSERT_EQ(count_children(), 3);
    coord_pool_destroy(p);
    ASSERT_EQ(count_children(), 0);
}

/* A zeroed options struct means the defaults, replacement included: a
 * caller who zeroes it and fills only what matters must not get a pool
 * that silently stops replacing dead workers. */
TEST(pool_zeroed_opts_mean_defaults)
{
    struct ctl *c = new_ctl();
    coord_pool_opts o;
    memset(&o, 0, sizeof o);
    coord_pool *p;
    ASSERT_OK(coord_pool_start(&p, &o, run_task, c));
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.workers, 4);
    coord_pool_destroy(p);
    ASSERT_EQ(count_children(), 0);
    /* Zeroed, then one worker: it dies on its first task, and the second
     * task still runs, on its replacement. */
    memset(&o, 0, sizeof o);
    o.workers = 1;
    ASSERT_OK(coord_pool_start(&p, &o, run_task, c));
    static uint32_t what[2] = {DO_EXIT3, DO_SQUARE};
    static coord_task_result res[2];
    map(p, 2, what, res);
    ASSERT_CODE(res[0].status, COORD_EPEERDIED);
    ASSERT_OK(res[1].status);
    end_with_stats(p, 1, 1, 1);
}

TEST(pool_bad_input)
{
    struct ctl *c = new_ctl();
    coord_pool_opts o;
    coord_pool *p = NULL;
    coord_pool_opts_init(&o);
    coord_pool_opts_init(NULL);
    ASSERT_EQ(o.workers, 4);
    ASSERT_FALSE(o.no_replace);
    ASSERT_CODE(coord_pool_start(NULL, &o, run_task, c), COORD_EINVAL);
    ASSERT_CODE(coord_pool_start(&p, NULL, run_task, c), COORD_EINVAL);
    ASSERT_CODE(coord_pool_start(&p, &o, NULL, c), COORD_EINVAL);
    o.workers = 1025;
    ASSERT_CODE(coord_pool_start(&p, &o, run_task, c), COORD_EINVAL);
    coord_pool_opts_init(&o);
    o.max_task = (1u << 24) + 1;
    ASSERT_CODE(coord_pool_start(&p, &o, run_task, c), COORD_EINVAL);
    coord_pool_opts_init(&o);
    o.max_result = (1u << 24) + 1;
    ASSERT_CODE(coord_pool_start(&p, &o, run_task, c), COORD_EINVAL);
    ASSERT_EQ(count_children(), 0);

    p = start(1, 0, true, c);
    char big[64] = {0};
    struct task t = {DO_SQUARE, 3};
    ASSERT_CODE(coord_pool_submit(NULL, &t, sizeof t, NULL, 0), COORD_EINVAL);
    ASSERT_CODE(coord_pool_submit(p, NULL, 4, NULL, 0), COORD_EINVAL);
    ASSERT_CODE(coord_pool_submit(p, big, sizeof big, NULL, 0),
                COORD_EMSGSIZE);
    ASSERT_CODE(coord_pool_submit(p, &t, sizeof t, NULL, -2), COORD_EINVAL);
    ASSERT_OK(coord_pool_submit(p, &t, sizeof t, NULL, 1000));
    ASSERT_OK(coord_pool_shutdown(p, 10000));
    coord_task_result r;
    uint32_t small;
    ASSERT_CODE(coord_pool_result(p, NULL, NULL, 0, 0), COORD_EINVAL);
    ASSERT_CODE(coord_pool_result(p, &r, NULL, 4, 0), COORD_EINVAL);
    ASSERT_CODE(coord_pool_result(p, &r, &small, sizeof small, 0),
                COORD_ENOBUFS);
    ASSERT_EQ(r.len, 8);
    uint64_t v;
    ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 0));
    ASSERT_EQ_U(v, 9);
    ASSERT_CODE(coord_pool_result(p, &r, &v, sizeof v, 0), COORD_ENODATA);
    ASSERT_CODE(coord_pool_shutdown(NULL, 0), COORD_EINVAL);
    ASSERT_CODE(coord_pool_get_stats(NULL, NULL), COORD_EINVAL);
    coord_pool_worker_stats ws;
    ASSERT_CODE(coord_pool_get_worker_stats(p, 1, &ws), COORD_EINVAL);
    coord_pool_destroy(p);
    coord_pool_destroy(NULL);
}

/* ---- a worker killed right after taking its pill ---------------------- */

/* Each worker, on its one task, waits until both workers are in a task (so
 * each gets one), then arms a seccomp filter that kills the process on
 * exit: the worker that takes a pill then dies by SIGSYS instead of
 * exiting cleanly, having consumed the pill. */
static int arm_kill_on_exit(const void *task, size_t len, void *result,
                            size_t cap, size_t *out, void *arg)
{
    (void)task;
    (void)len;
    (void)result;
    (void)cap;
    _Atomic uint32_t *in = arg;
    atomic_fetch_add(in, 1);
    uint64_t dl = coord_clock_ns() + 10000000000ull;
    while (atomic_load(in) < 2 && coord_clock_ns() < dl)
        usleep(100);
    struct rlimit nocore = {0, 0};
    setrlimit(RLIMIT_CORE, &nocore);
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
        return COORD_EPERM;
    *out = 0;
    return 0;
}

TEST(pool_pill_taken_by_killed_worker)
{
    _Atomic uint32_t *in = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(in != MAP_FAILED);
    coord_pool_opts o;
    coord_pool_opts_init(&o);
    o.workers = 2;
    o.queue_capacity = 1; /* one pill queued at a time */
    o.no_replace = true;
    coord_pool *p;
    ASSERT_OK(coord_pool_start(&p, &o, arm_kill_on_exit, (void *)in));
    ASSERT_OK(coord_pool_submit(p, "a", 1, NULL, 10000));
    ASSERT_OK(coord_pool_submit(p, "b", 1, NULL, 10000));
    for (int i = 0; i < 2; i++) {
        coord_task_result r;
        ASSERT_OK(coord_pool_result(p, &r, NULL, 0, 10000));
        if (r.status == COORD_EPERM) {
            coord_pool_destroy(p);
            munmap((void *)in, 4096);
            SKIP("seccomp filters are not allowed here");
        }
        ASSERT_EQ(r.status, 0);
    }
    /* The first pill goes to a worker that dies with it (SIGSYS): the
     * other one still needs a pill, or shutdown never joins it. */
    ASSERT_OK(coord_pool_shutdown(p, 5000));
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.live, 0);
    ASSERT_EQ(st.deaths, 2);
    coord_pool_destroy(p);
    munmap((void *)in, 4096);
}

/* The contract for a failing callback: the bytes it wrote are its result
 * (a task may say why it failed), through coord_pool_result and map; a
 * length beyond the buffer is never sent. */
TEST(pool_failed_task_keeps_its_bytes)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(2, 0, true, c);
    struct task t[3] = {{DO_FAIL_SAY, 5}, {DO_FAIL_LONG, 6}, {DO_SQUARE, 7}};
    for (int i = 0; i < 3; i++)
        ASSERT_OK(coord_pool_submit(p, &t[i], sizeof t[i], NULL, 10000));
    bool seen[3] = {false, false, false};
    for (int i = 0; i < 3; i++) {
        coord_task_result r;
        uint64_t v = 0;
        ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 10000));
        ASSERT_LT(r.id, 3);
        ASSERT_FALSE(seen[r.id]);
        seen[r.id] = true;
        if (r.id == 0) {
            ASSERT_CODE(r.status, COORD_ERANGE);
            ASSERT_EQ(r.len, sizeof v);
            ASSERT_EQ(v, 0xbad0000u + 5);
        } else if (r.id == 1) {
            ASSERT_CODE(r.status, COORD_ERANGE);
            ASSERT_EQ(r.len, 0);
        } else {
            ASSERT_OK(r.status);
            ASSERT_EQ(r.len, sizeof v);
            ASSERT_EQ(v, 49);
        }
    }
    /* The same through map: the reason lands in results[i]. */
    struct task mt[4] = {{DO_FAIL_SAY, 1}, {DO_SQUARE, 2}, {DO_FAIL_SAY, 3},
                         {DO_FAIL_LONG, 4}};
    uint64_t out[4] = {0, 0, 0, 0};
    coord_task_result info[4];
    ASSERT_EQ(coord_pool_map(p, mt, 4, sizeof mt[0], out, sizeof out[0],
                             info, 10000),
              3);
    ASSERT_CODE(info[0].status, COORD_ERANGE);
    ASSERT_EQ(info[0].len, sizeof out[0]);
    ASSERT_EQ(out[0], 0xbad0000u + 1);
    ASSERT_OK(info[1].status);
    ASSERT_EQ(out[1], 4);
    ASSERT_CODE(info[2].status, COORD_ERANGE);
    ASSERT_EQ(out[2], 0xbad0000u + 3);
    ASSERT_CODE(info[3].status, COORD_ERANGE);
    ASSERT_EQ(info[3].len, 0);
    ASSERT_EQ(out[3], 0);
    ASSERT_OK(coord_pool_shutdown(p, 10000));
    end_with_stats(p, 0, 0, 5);
    ASSERT_EQ(count_children(), 0);
}

/* Mark the pool's task queue broken, as a stray write to shared memory
 * would (its state word: 2, see queue_internal.h). */
static void break_task_queue(coord_pool *p)
{
    struct coord__queue_map m;
    coord__queue_layout(p->tasks, &m);
    atomic_store((_Atomic uint32_t *)((unsigned char *)p->shm + m.state_off),
                 2u);
}

/* A worker whose queue is broken exits (POOL_EXIT_QUEUE); a replacement
 * would fail the same way, so the pool stops: no replacement, the results
 * already made are kept, every other task is reported COORD_EPROTO, calls
 * say COORD_EPROTO, shutdown joins, no zombie. (It used to replace the
 * worker forever while the tasks stayed pending.) */
TEST(pool_broken_queue_stops_replacing)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(2, 0, true, c);
    struct task g0 = {DO_GATE, 10}, g1 = {DO_GATE, 11};
    ASSERT_OK(coord_pool_submit(p, &g0, sizeof g0, NULL, 10000));
    ASSERT_OK(coord_pool_submit(p, &g1, sizeof g1, NULL, 10000));
    for (uint32_t x = 2; x < 5; x++) {
        struct task t = {DO_SQUARE, x};
        ASSERT_OK(coord_pool_submit(p, &t, sizeof t, NULL, 10000));
    }
    /* Both workers inside a gated task, the three others still queued. */
    uint64_t dl = coord_clock_ns() + 10000000000ull;
    while (atomic_load(&c->at_gate) < 2 && coord_clock_ns() < dl)
        usleep(100);
    ASSERT_EQ(atomic_load(&c->at_gate), 2);
    break_task_queue(p);
    atomic_store(&c->gate, 1);
    unsigned ok = 0, broken = 0;
    for (int i = 0; i < 5; i++) {
        coord_task_result r;
        uint64_t v = 0;
        ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 10000));
        if (r.id < 2 && r.status == 0) {
            ASSERT_EQ(v, (r.id + 10) * (r.id + 10));
            ok++;
        } else {
            ASSERT_CODE(r.status, COORD_EPROTO);
            ASSERT_TRUE(strncmp(r.cause, "pool broken", 11) == 0);
            broken++;
        }
    }
    /* The worker that meets the broken queue first stops the pool, and the
     * stop kills the other worker: on a loaded machine that one may not have
     * finished its gated task yet, which then fails as "pool broken" too
     * (pool.h, "Broken queues"). The first finished before it met it. */
    ASSERT_TRUE(ok >= 1 && ok <= 2);
    ASSERT_EQ(ok + broken, 5);
    coord_task_result r;
    ASSERT_CODE(coord_pool_result(p, &r, NULL, 0, 0), COORD_ENODATA);
    struct task t = {DO_SQUARE, 1};
    ASSERT_CODE(coord_pool_submit(p, &t, sizeof t, NULL, 1000), COORD_EPROTO);
    ASSERT_CODE(coord_pool_map(p, &t, 1, sizeof t, NULL, 0, NULL, 1000),
                COORD_EPROTO);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.restarts, 0);
    ASSERT_EQ(st.live, 0);
    ASSERT_EQ(st.pending, 0);
    ASSERT_OK(coord_pool_shutdown(p, 10000));
    ASSERT_EQ(count_children(), 0);
    coord_pool_destroy(p);
}

/* The parent finds the broken queue itself (its own put): the same stop. */
TEST(pool_broken_queue_seen_by_submit)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(3, 0, true, c);
    map(p, 100, NULL, results);
    coord_pool_destroy(p);
    p = start(3, 0, true, c);
    break_task_queue(p);
    struct task t = {DO_SQUARE, 3};
    ASSERT_CODE(coord_pool_submit(p, &t, sizeof t, NULL, 1000), COORD_EPROTO);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.restarts, 0);
    ASSERT_EQ(st.live, 0);
    ASSERT_EQ(st.submitted, 0);
    ASSERT_EQ(count_children(), 0);
    ASSERT_OK(coord_pool_shutdown(p, 1000));
    coord_pool_destroy(p);
}

/* After many tiny tasks (the measured cost says a chunk is short, so a
 * chunk may wait for the polling worker), a task that runs long must not
 * hold back the next: two tasks that wait for each other (a barrier) both
 * start on a 2-worker pool, without the test calling into the pool. */
TEST(pool_long_task_does_not_hold_back_the_next)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(2, 0, true, c);
    for (uint32_t x = 0; x < 2000; x++) {
        struct task t = {DO_SQUARE, x};
        ASSERT_OK(coord_pool_submit(p, &t, sizeof t, NULL, 10000));
        coord_task_result r;
        uint64_t v;
        while (coord_pool_result(p, &r, &v, sizeof v, 0) == 0)
            ASSERT_OK(r.status);
    }
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_GT(st.task_ns, 0);
    struct task g0 = {DO_GATE, 20}, g1 = {DO_GATE, 21};
    ASSERT_OK(coord_pool_submit(p, &g0, sizeof g0, NULL, 10000));
    ASSERT_OK(coord_pool_submit(p, &g1, sizeof g1, NULL, 10000));
    uint64_t dl = coord_clock_ns() + 10000000000ull;
    while (atomic_load(&c->at_gate) < 2 && coord_clock_ns() < dl)
        usleep(100);
    ASSERT_EQ(atomic_load(&c->at_gate), 2);
    atomic_store(&c->gate, 1);
    ASSERT_OK(coord_pool_shutdown(p, 10000));
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.succeeded, 2002);
    coord_pool_destroy(p);
    ASSERT_EQ(count_children(), 0);
}

/* A worker SIGKILLed while it sleeps in the idle set (its bit set, so
 * the parent may choose it for the next chunk): the tasks still run, on
 * another worker or its replacement, nothing fails, no zombie. */
TEST(pool_idle_worker_killed_then_submit)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(3, 0, true, c);
    struct task t = {DO_SQUARE, 9};
    ASSERT_OK(coord_pool_submit(p, &t, sizeof t, NULL, 10000));
    coord_task_result r;
    uint64_t v = 0;
    ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 10000));
    /* Every worker asleep in the idle set. */
    uint64_t dl = coord_clock_ns() + 10000000000ull;
    while (atomic_load(&p->ctl->idle[0]) != 7u && coord_clock_ns() < dl)
        usleep(100);
    ASSERT_EQ(atomic_load(&p->ctl->idle[0]), 7u);
    /* The lowest bit is the one a wake-up chooses first. */
    ASSERT_EQ(kill(p->kids[0].pid, SIGKILL), 0);
    /* One task alone (the parent wakes the dead worker's bit: the task
     * waits until the death is seen), then two more. */
    uint64_t sum = 0;
    for (uint32_t x = 0; x < 3; x++) {
        struct task u = {DO_SQUARE, 30 + x};
        ASSERT_OK(coord_pool_submit(p, &u, sizeof u, NULL, 10000));
        if (x == 0) {
            ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 10000));
            ASSERT_OK(r.status);
            sum += v;
        }
    }
    for (int i = 0; i < 2; i++) {
        ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 10000));
        ASSERT_OK(r.status);
        sum += v;
    }
    ASSERT_EQ(sum, 30u * 30 + 31 * 31 + 32 * 32);
    ASSERT_OK(coord_pool_shutdown(p, 10000));
    /* Replaced if the death was seen before shutdown, else not. */
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.deaths, 1);
    ASSERT_LE(st.restarts, 1);
    ASSERT_EQ(st.failed, 0);
    ASSERT_EQ(st.succeeded, 4);
    coord_pool_destroy(p);
    ASSERT_EQ(count_children(), 0);
}

/* A get copies a chunk into the worker's record before its commit, so a
 * worker whose get lost the chunk to another keeps a copy of it until its
 * next get. Such a stale copy in an idle worker's record must not pass for
 * the chunk being held when its taker dies (found by the torture suite:
 * the dead worker's task was never run again, and shutdown waited for
 * it). Made here by hand: worker 1 is stopped, given a copy of the chunk
 * worker 0 runs, and worker 0 is killed. */
TEST(pool_stale_copy_does_not_hide_a_dead_workers_chunk)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(2, 1, true, c);
    /* Both workers idle (asleep in the idle set). */
    WAIT_FOR(atomic_load(&p->ctl->idle[0]) == 3u, 10000);
    pid_t w1 = p->kids[1].pid;
    ASSERT_EQ(kill(w1, SIGSTOP), 0);
    struct task t = {DO_HANG_FIRST, 7};
    ASSERT_OK(coord_pool_submit(p, &t, sizeof t, NULL, 10000));
    /* Worker 0 runs it (worker 1 cannot) and hangs in it. */
    WAIT_FOR(atomic_load(&c->hang_pid) != 0, 20000);
    struct wrec *r0 = rec_of(p, 0), *r1 = rec_of(p, 1);
    ASSERT_EQ(atomic_load(&r0->state), W_BUSY);
    ASSERT_EQ(atomic_load(&r1->state), W_TAKING);
    memcpy(rec_msg(p, r1), rec_msg(p, r0), r0->msg_len);
    r1->msg_len = r0->msg_len;
    ASSERT_EQ(kill(atomic_load(&c->hang_pid), SIGKILL), 0);
    ASSERT_EQ(kill(w1, SIGCONT), 0);
    /* The task runs again (attempt 2) and has its result. */
    coord_task_result r;
    uint64_t v = 0;
    ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 20000));
    ASSERT_OK(r.status);
    ASSERT_EQ_U(v, 49);
    ASSERT_EQ(r.attempts, 2);
    ASSERT_OK(coord_pool_shutdown(p, 20000));
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.deaths, 1);
    ASSERT_EQ(st.retried, 1);
    ASSERT_EQ(st.succeeded, 1);
    coord_pool_destroy(p);
    ASSERT_EQ(count_children(), 0);
}

/* ---- retirement (opts.retire_after) ----------------------------------- */

static coord_pool *start_retiring(unsigned workers, unsigned retire_after,
                                  unsigned chunk, size_t capacity,
                                  unsigned retries, struct ctl *c)
{
    coord_pool_opts o;
    coord_pool_opts_init(&o);
    o.workers = workers;
    o.max_task = sizeof(struct task);
    o.max_result = sizeof(uint64_t);
    o.queue_capacity = capacity;
    o.retries = retries;
    o.chunk = chunk;
    o.retire_after = retire_after;
    coord_pool *p;
    ASSERT_OK(coord_pool_start(&p, &o, run_task, c));
    return p;
}

/* Tasks 0 .. n-1 (n <= TRACKED) each ran exactly once, and no worker
 * process ran more than `most` of them. Returns how many processes ran
 * them. */
static unsigned check_runs(struct ctl *c, uint32_t n, unsigned most)
{
    static int pids[TRACKED];
    static unsigned runs[TRACKED];
    unsigned np = 0;
    for (uint32_t x = 0; x < n; x++) {
        uint32_t ran = atomic_load(&c->ran[x]);
        ASSERT_EQ(ran, 1);
        int pid = atomic_load(&c->pid[x]);
        ASSERT_GT(pid, 0);
        unsigned k = 0;
        while (k < np && pids[k] != pid)
            k++;
        if (k == np) {
            pids[np] = pid;
            runs[np++] = 0;
        }
        runs[k]++;
        ASSERT_LE(runs[k], most);
    }
    return np;
}

/* Each worker exits after 3 tasks and is replaced: every task runs once
 * with its right result, no process runs more than 3, nothing counts as
 * a death or fails, and the stats tell retirements apart. */
TEST(pool_workers_retire_after_n_tasks)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start_retiring(2, 3, 0, 64, 0, c);
    enum { N = 60 };
    map(p, N, NULL, results);
    unsigned procs = check_runs(c, N, 3);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    /* 60 tasks at 3 a process: at least 19 ran 3 (the two that took the
     * pills ran fewer, 4 at most together). */
    ASSERT_GE(procs, 20);
    ASSERT_GE(st.retired, 19);
    ASSERT_LE(st.retired, 20);
    ASSERT_EQ(st.deaths, 0);
    ASSERT_EQ(st.failed, 0);
    ASSERT_EQ(st.succeeded, N);
    ASSERT_EQ(st.retried, 0);
    /* Replaced, but not once shutdown had every result. */
    ASSERT_LE(st.restarts, st.retired);
    ASSERT_GE(st.restarts + 2, st.retired);
    uint64_t done = 0;
    for (unsigned i = 0; i < 2; i++) {
        coord_pool_worker_stats ws;
        ASSERT_OK(coord_pool_get_worker_stats(p, i, &ws));
        done += ws.done;
    }
    ASSERT_EQ(done, N);
    for (uint32_t i = 0; i < N; i++) {
        ASSERT_EQ(results[i].attempts, 1);
        ASSERT_EQ(results[i].wait_status, 0);
    }
    coord_pool_destroy(p);
    ASSERT_EQ(count_children(), 0);
    /* no_replace is about deaths: a retired worker is still replaced. */
    c = new_ctl();
    coord_pool_opts o;
    coord_pool_opts_init(&o);
    o.workers = 1;
    o.no_replace = true;
    o.retire_after = 2;
    ASSERT_OK(coord_pool_start(&p, &o, run_task, c));
    map(p, 6, NULL, results);
    ASSERT_EQ(check_runs(c, 6, 2), 3);
    end_with_counts(p, 0, 3, ANY, 0);
}

/* A worker with fewer tasks left than its chunk holds runs those and
 * leaves the rest, which run on its replacement as first attempts: with
 * one worker, chunks of 2 and retirement after 3, every process runs
 * exactly 3 tasks and each task runs once. A chunk never holds more tasks
 * than retire_after. */
TEST(pool_retirement_mid_chunk_queues_the_rest_once)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start_retiring(1, 3, 2, 64, 0, c);
    enum { N = 24 };
    map(p, N, NULL, results);
    ASSERT_EQ(check_runs(c, N, 3), N / 3);
    for (uint32_t i = 0; i < N; i++)
        ASSERT_EQ(results[i].attempts, 1);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.chunk, 2);
    ASSERT_GE(st.restarts, N / 3 - 1);
    end_with_counts(p, 0, N / 3, ANY, 0);
    /* opts.chunk above retire_after is cut to it. */
    c = new_ctl();
    p = start_retiring(1, 3, 8, 64, 0, c);
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.chunk, 3);
    map(p, 9, NULL, results);
    ASSERT_EQ(check_runs(c, 9, 3), 3);
    coord_pool_destroy(p);
    ASSERT_EQ(count_children(), 0);
}

/* coord_pool_map in automatic chunks with retirement: every result right,
 * the chunk never above retire_after, no process above it either. */
TEST(pool_map_with_retirement)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start_retiring(3, 50, 0, 64, 0, c);
    enum { N = 3000 };
    static struct task tasks[N];
    static uint64_t out[N];
    static coord_task_result info[N];
    for (uint32_t i = 0; i < N; i++)
        tasks[i] = (struct task){DO_SQUARE, i};
    ASSERT_EQ(coord_pool_map(p, tasks, N, sizeof tasks[0], out, sizeof out[0],
                             info, 60000),
              0);
    for (uint32_t i = 0; i < N; i++) {
        ASSERT_OK(info[i].status);
        ASSERT_EQ(info[i].attempts, 1);
        ASSERT_EQ_U(out[i], (uint64_t)i * i);
    }
    check_runs(c, TRACKED, 50);
    ASSERT_OK(coord_pool_shutdown(p, 30000));
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_LE(st.chunk, 50);
    ASSERT_GE(st.retired, N / 50 - 3);
    ASSERT_EQ(st.deaths, 0);
    ASSERT_EQ(st.failed, 0);
    coord_pool_destroy(p);
    ASSERT_EQ(count_children(), 0);
}

/* retire_after 1: every worker retires after each task, all at once
 * under a burst of tasks in a small queue; the queue keeps draining (no
 * deadlock: each wait is bounded), every result is right, every task's
 * process retired, for submit and for map. */
TEST(pool_every_worker_retires_at_once)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start_retiring(4, 1, 0, 8, 0, c);
    enum { N = 200 };
    map(p, N, NULL, results);
    ASSERT_EQ(check_runs(c, N, 1), N);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_GE(st.restarts, N - 4);
    ASSERT_EQ(p->leaving, 0);
    end_with_counts(p, 0, N, ANY, 0);

    c = new_ctl();
    p = start_retiring(4, 1, 0, 8, 0, c);
    static struct task tasks[N];
    static uint64_t out[N];
    for (uint32_t i = 0; i < N; i++)
        tasks[i] = (struct task){DO_SQUARE, i};
    ASSERT_EQ(coord_pool_map(p, tasks, N, sizeof tasks[0], out, sizeof out[0],
                             NULL, 60000),
              0);
    for (uint32_t i = 0; i < N; i++)
        ASSERT_EQ_U(out[i], (uint64_t)i * i);
    ASSERT_EQ(check_runs(c, N, 1), N);
    /* The last ones may still be exiting: counted once joined. */
    ASSERT_OK(coord_pool_shutdown(p, 30000));
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.chunk, 1);
    ASSERT_EQ(p->leaving, 0);
    end_with_counts(p, 0, N, ANY, 0);
    ASSERT_EQ(count_children(), 0);
}

/* The state letter of our child `pid` (0: not ours, or gone). */
static char proc_state(int pid)
{
    char state = 0;
    return ppid_of(pid, &state) == (int)getpid() ? state : 0;
}

/* Has the pool's worker `i` ended (a zombie, not yet reaped)? */
static bool worker_ended(coord_pool *p, unsigned i)
{
    return proc_state(p->kids[i].pid) == 'Z';
}

/* The retiring worker's last result is read exactly once whether the
 * parent handles its exit before it reads the result (the exit handler
 * reads the queue and the record) or after (the record's copy is then a
 * repeat, dropped). */
TEST(pool_retired_worker_last_result_once_either_order)
{
    for (int exit_first = 0; exit_first < 2; exit_first++) {
        struct ctl *c = new_ctl();
        coord_pool *p = start_retiring(1, 1, 0, 64, 0, c);
        struct task t = {DO_SQUARE, 7};
        ASSERT_OK(coord_pool_submit(p, &t, sizeof t, NULL, 10000));
        WAIT_FOR(worker_ended(p, 0), 20000);
        if (exit_first) {
            ASSERT_EQ(coord__pool_reap_some(p, 0), 1);
            ASSERT_EQ(p->res_n - p->res_head, 1); /* read by the exit */
        } else {
            ASSERT_EQ(coord__pool_drain_results(p), 1);
            ASSERT_EQ(p->leaving, 1); /* its last result is in */
            ASSERT_EQ(coord__pool_reap_some(p, 0), 1);
        }
        /* No worker is expected to leave: a result of the retired one read
         * after its reaping must not count for its slot (the pump would
         * wait for exits instead of results from then on). */
        ASSERT_EQ(p->leaving, 0);
        coord_pool_stats st;
        ASSERT_OK(coord_pool_get_stats(p, &st));
        ASSERT_EQ(st.retired, 1);
        ASSERT_EQ(st.deaths, 0);
        ASSERT_EQ(st.restarts, 1);
        ASSERT_EQ(st.pending, 0);
        /* The replacement runs the next task. */
        struct task u = {DO_SQUARE, 8};
        ASSERT_OK(coord_pool_submit(p, &u, sizeof u, NULL, 10000));
        ASSERT_OK(coord_pool_shutdown(p, 20000));
        coord_task_result r;
        uint64_t v = 0, sum = 0;
        for (int k = 0; k < 2; k++) {
            ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 0));
            ASSERT_OK(r.status);
            ASSERT_EQ(r.attempts, 1);
            sum += v;
        }
        ASSERT_EQ(sum, 49 + 64);
        ASSERT_CODE(coord_pool_result(p, &r, &v, sizeof v, 0), COORD_ENODATA);
        ASSERT_NE(atomic_load(&c->pid[7]), atomic_load(&c->pid[8]));
        ASSERT_OK(coord_pool_get_stats(p, &st));
        ASSERT_EQ(st.succeeded, 2);
        ASSERT_EQ(st.deaths, 0);
        coord_pool_destroy(p);
        ASSERT_EQ(count_children(), 0);
    }
}

/* A worker whose last chunk runs out its tasks mid-chunk, blocked in the
 * put of its last results (the result queue is full): SIGKILLed there,
 * it counts as a death, but no task fails: the results it finished are
 * read from its record, the task it left runs on the replacement once
 * (as the first attempt, not as a retry of a task that was running). */
static struct ctl *block_retiring_worker(coord_pool **out)
{
    struct ctl *c = new_ctl();
    /* One message per queue: chunks of 2, retirement after 3. */
    coord_pool *p = start_retiring(1, 3, 2, 1, 0, c);
    struct task t[4];
    for (uint32_t i = 0; i < 4; i++)
        t[i] = (struct task){DO_SQUARE, i};
    ASSERT_OK(coord_pool_submit(p, &t[0], sizeof t[0], NULL, 10000));
    ASSERT_OK(coord_pool_submit(p, &t[1], sizeof t[1], NULL, 10000));
    /* The chunk [0, 1] taken, its results fill the result queue. */
    WAIT_FOR(atomic_load(&rec_of(p, 0)->done) == 2, 20000);
    ASSERT_OK(coord_pool_submit(p, &t[2], sizeof t[2], NULL, 10000));
    ASSERT_OK(coord_pool_submit(p, &t[3], sizeof t[3], NULL, 10000));
    /* Task 2 is its third: it retires, asleep in the put of that result
     * (its record's state is not what the test waits for: it is what a
     * parent must be able to trust). */
    struct wrec *w = rec_of(p, 0);
    WAIT_FOR(atomic_load(&c->ran[2]) == 1 && atomic_load(&w->nres) == 1 &&
                 proc_state(p->kids[0].pid) == 'S',
             20000);
    ASSERT_EQ(atomic_load(&c->ran[3]), 0);
    *out = p;
    return c;
}

static void check_four(coord_pool *p, struct ctl *c)
{
    ASSERT_OK(coord_pool_shutdown(p, 10000));
    bool seen[4] = {false};
    for (int k = 0; k < 4; k++) {
        coord_task_result r;
        uint64_t v = 0;
        ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 0));
        ASSERT_LT(r.id, 4);
        ASSERT_FALSE(seen[r.id]);
        seen[r.id] = true;
        ASSERT_OK(r.status);
        ASSERT_EQ(r.attempts, 1);
        ASSERT_EQ_U(v, r.id * r.id);
    }
    coord_task_result r;
    ASSERT_CODE(coord_pool_result(p, &r, NULL, 0, 0), COORD_ENODATA);
    check_runs(c, 4, 3);
    ASSERT_NE(atomic_load(&c->pid[2]), atomic_load(&c->pid[3]));
    ASSERT_EQ(count_children(), 0);
}

TEST(pool_worker_killed_while_retiring)
{
    coord_pool *p;
    struct ctl *c = block_retiring_worker(&p);
    ASSERT_EQ(kill(p->kids[0].pid, SIGKILL), 0);
    check_four(p, c);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.retried, 0);
    end_with_counts(p, 1, 0, 1, 0);
}

/* The same worker, blocked in its last put while shutdown runs: shutdown
 * reads the results, the worker retires, the task it left runs on its
 * replacement, and every worker is joined. Then once more, destroyed
 * there instead: nothing is left running. */
TEST(pool_retirement_during_shutdown_and_destroy)
{
    coord_pool *p;
    struct ctl *c = block_retiring_worker(&p);
    check_four(p, c);
    end_with_counts(p, 0, 1, ANY, 0);

    c = block_retiring_worker(&p);
    coord_pool_destroy(p);
    ASSERT_EQ(count_children(), 0);

    /* A worker that retires once shutdown has every result (its last one
     * read, its exit not yet seen) is not replaced, and shutdown joins. */
    c = new_ctl();
    p = start_retiring(1, 1, 0, 64, 0, c);
    struct task t = {DO_SQUARE, 5};
    ASSERT_OK(coord_pool_submit(p, &t, sizeof t, NULL, 10000));
    WAIT_FOR(worker_ended(p, 0), 20000);
    ASSERT_EQ(coord__pool_drain_results(p), 1);
    ASSERT_OK(coord_pool_shutdown(p, 20000));
    ASSERT_EQ(count_children(), 0);
    coord_task_result r;
    uint64_t v = 0;
    ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 0));
    ASSERT_EQ_U(v, 25);
    ASSERT_CODE(coord_pool_result(p, &r, &v, sizeof v, 0), COORD_ENODATA);
    end_with_counts(p, 0, 1, 0, 0);
}

/* A worker whose get lost a retiring worker's chunk keeps a stale copy
 * of it; when it dies, the retiring worker must count as holding the
 * chunk (as a busy one does), or the tasks of the chunk without a result
 * yet would be queued again by that death and run twice. Made by hand as
 * in pool_stale_copy_does_not_hide_a_dead_workers_chunk: worker 1
 * stopped, worker 0 stopped in its last put, worker 1 given a copy of its
 * chunk and killed, its death handled; then worker 0 goes on. */
TEST(pool_stale_copy_of_a_retiring_workers_chunk)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start_retiring(2, 3, 2, 1, 0, c);
    WAIT_FOR(atomic_load(&p->ctl->idle[0]) == 3u, 10000);
    pid_t w0 = p->kids[0].pid, w1 = p->kids[1].pid;
    ASSERT_EQ(kill(w1, SIGSTOP), 0);
    struct task t[4];
    for (uint32_t i = 0; i < 4; i++)
        t[i] = (struct task){DO_SQUARE, i};
    ASSERT_OK(coord_pool_submit(p, &t[0], sizeof t[0], NULL, 10000));
    ASSERT_OK(coord_pool_submit(p, &t[1], sizeof t[1], NULL, 10000));
    struct wrec *r0 = rec_of(p, 0), *r1 = rec_of(p, 1);
    WAIT_FOR(atomic_load(&r0->done) == 2, 20000);
    ASSERT_OK(coord_pool_submit(p, &t[2], sizeof t[2], NULL, 10000));
    ASSERT_OK(coord_pool_submit(p, &t[3], sizeof t[3], NULL, 10000));
    WAIT_FOR(atomic_load(&r0->state) == W_RETIRING &&
                 proc_state(w0) == 'S',
             20000);
    ASSERT_EQ(kill(w0, SIGSTOP), 0);
    ASSERT_EQ(atomic_load(&r1->state), W_TAKING);
    memcpy(rec_msg(p, r1), rec_msg(p, r0), r0->msg_len);
    r1->msg_len = r0->msg_len;
    ASSERT_EQ(kill(w1, SIGKILL), 0);
    WAIT_FOR(worker_ended(p, 1), 20000);
    ASSERT_EQ(coord__pool_reap_some(p, 0), 1);
    ASSERT_EQ(kill(w0, SIGCONT), 0);
    check_four(p, c);
    end_with_counts(p, 1, 1, ANY, 0);
}

/* Retirement with retries and deaths: a task that kills its worker is
 * retried, retirements go on around it, and every count is its own. */
TEST(pool_retirement_with_retries_and_deaths)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start_retiring(2, 4, 0, 64, 1, c);
    enum { N = 40 };
    static uint32_t what[N];
    what[13] = DO_DIE_FIRST;
    map(p, N, what, results);
    for (uint32_t i = 0; i < N; i++) {
        ASSERT_OK(results[i].status);
        ASSERT_EQ(results[i].attempts, i == 13 ? 2 : 1);
    }
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ(st.deaths, 1);
    ASSERT_EQ(st.retried, 1);
    ASSERT_EQ(st.failed, 0);
    /* 41 runs, at most 4 a process: 9 retirements at least. */
    ASSERT_GE(st.retired, 9);
    ASSERT_LE(st.restarts, st.retired + 1);
    coord_pool_destroy(p);
    ASSERT_EQ(count_children(), 0);
}

/* retire_after above INT_MAX is a negative count converted: refused. */
TEST(pool_retire_after_bad_values)
{
    struct ctl *c = new_ctl();
    coord_pool_opts o;
    coord_pool *p = NULL;
    coord_pool_opts_init(&o);
    ASSERT_EQ(o.retire_after, 0);
    o.retire_after = (unsigned)-1;
    ASSERT_CODE(coord_pool_start(&p, &o, run_task, c), COORD_EINVAL);
    o.retire_after = (unsigned)INT_MAX + 1u;
    ASSERT_CODE(coord_pool_start(&p, &o, run_task, c), COORD_EINVAL);
    ASSERT_TRUE(p == NULL);
    ASSERT_EQ(count_children(), 0);
    o.workers = 1;
    o.retire_after = INT_MAX;
    ASSERT_OK(coord_pool_start(&p, &o, run_task, c));
    coord_pool_destroy(p);
}

/* The tasks below: an 8-byte x in, x * x out. */
static bool task_x(const void *task, size_t len, uint64_t *x)
{
    if (len != sizeof *x)
        return false;
    memcpy(x, task, sizeof *x);
    return true;
}

static int squared(uint64_t x, void *result, size_t *out)
{
    x *= x;
    memcpy(result, &x, sizeof x);
    *out = sizeof x;
    return 0;
}

/* Shared with the workers of the tests below (mmap'd). */
struct evil {
    pthread_mutex_t *qlock; /* the task queue's consumer lock */
    _Atomic int holding;
};

/* Task 1: take the task queue's consumer lock (as a get does) and keep it
 * for ever; task 2: die; else square. */
static int stuck_lock_task(const void *task, size_t len, void *result,
                           size_t cap, size_t *out, void *arg)
{
    struct evil *ev = arg;
    uint64_t x;
    (void)cap;
    if (!task_x(task, len, &x))
        return COORD_EINVAL;
    if (x == 1) {
        pthread_mutex_lock(ev->qlock);
        atomic_store(&ev->holding, 1);
        for (;;)
            pause();
    }
    if (x == 2)
        raise(SIGKILL);
    return squared(x, result, out);
}

/* A worker that holds the task queue's consumer lock for ever (stuck, or
 * a task that scribbled on the queue) while another dies: the death's look
 * into the queue must not wait without bound, and shutdown with a timeout
 * returns (the pool stops as for a broken queue). */
TEST(pool_stuck_queue_lock_does_not_hang_a_death)
{
    struct evil *ev = mmap(NULL, sizeof *ev, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(ev != MAP_FAILED);
    coord_pool *p = start_zeroed(2, 0, stuck_lock_task, ev);
    struct coord__queue_map m;
    coord__queue_layout(p->tasks, &m);
    ev->qlock = (pthread_mutex_t *)((unsigned char *)p->shm + m.lock_off[1]);
    uint64_t x = 1;
    ASSERT_OK(coord_pool_submit(p, &x, sizeof x, NULL, 5000));
    WAIT_FOR(atomic_load(&ev->holding) != 0, 20000);
    x = 2;
    ASSERT_OK(coord_pool_submit(p, &x, sizeof x, NULL, 5000));
    int r = coord_pool_shutdown(p, 3000);
    ASSERT_TRUE(r == 0 || r == COORD_ETIMEDOUT);
    coord_pool_destroy(p);
    ASSERT_EQ(count_children(), 0);
}

/* Tasks that scribble on their worker's record before dying: x == 1 says
 * W_EXITED (a pill exit) and exits 0, x == 2 zeroes its chunk's seq, x ==
 * 3 writes a state no worker writes, x == 4 zeroes its entry's attempt;
 * else square. Each runs first in its chunk (k = 1), so its record lies
 * just before its bytes. */
static int scribble_task(const void *task, size_t len, void *result,
                         size_t cap, size_t *out, void *arg)
{
    uint64_t x;
    (void)cap;
    (void)arg;
    if (!task_x(task, len, &x))
        return COORD_EINVAL;
    unsigned char *msg = (unsigned char *)task - sizeof(struct task_ent) -
                         sizeof(struct chunk_hdr);
    struct wrec *w = (struct wrec *)(msg - offsetof(struct wrec, data));
    switch (x) {
    case 1:
        atomic_store(&w->state, W_EXITED);
        _exit(0);
    case 2:
        memset(msg, 0, sizeof(uint64_t));
        raise(SIGKILL);
        break;
    case 3:
        atomic_store(&w->state, 99);
        raise(SIGKILL);
        break;
    case 4: {
        struct task_ent *e = (struct task_ent *)(msg + sizeof(struct chunk_hdr));
        e->attempt = 0;
        raise(SIGKILL);
        break;
    }
    case 5: /* "not started yet": its chunk went again as it was */
        atomic_store(&w->state, W_TAKING);
        raise(SIGKILL);
        break;
    case 6: { /* a first attempt for ever: retried without end */
        struct task_ent *e = (struct task_ent *)(msg + sizeof(struct chunk_hdr));
        e->attempt = 1;
        raise(SIGKILL);
        break;
    }
    }
    return squared(x, result, out);
}

/* The parent trusts nothing a worker wrote in its record: a task that
 * says its worker left on a pill, or mangles its chunk there, then dies,
 * still gets exactly one outcome (its worker died), its worker is
 * replaced, and shutdown returns: no task is lost, none runs for ever. */
TEST(pool_scribbled_record_loses_no_task)
{
    for (unsigned workers = 1; workers <= 2; workers++) {
        coord_pool *p = start_zeroed(workers, 0, scribble_task, NULL);
        for (uint64_t i = 0; i < 40; i++) {
            uint64_t x = i % 10 == 5 ? i / 10 + 1 : i + 10;
            ASSERT_OK(coord_pool_submit(p, &x, sizeof x, NULL, 10000));
        }
        ASSERT_OK(coord_pool_shutdown(p, 20000));
        ASSERT_EQ(count_children(), 0);
        static bool seen[40];
        memset(seen, 0, sizeof seen);
        coord_task_result r;
        uint64_t v;
        for (unsigned k = 0; k < 40; k++) {
            ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 0));
            ASSERT_LT(r.id, 40);
            ASSERT_FALSE(seen[r.id]);
            seen[r.id] = true;
            if (r.id % 10 == 5)
                ASSERT_CODE(r.status, COORD_EPEERDIED);
            else
                ASSERT_EQ_U(v, (r.id + 10) * (r.id + 10));
        }
        ASSERT_CODE(coord_pool_result(p, &r, NULL, 0, 0), COORD_ENODATA);
        end_with_stats(p, 4, 4, 4);
    }
}

/* In a chunk of 4 (opts.chunk), the third task writes over the first
 * task's result entry (already in its worker's record: its length past
 * max_result), then returns; no worker dies. */
static int result_scribble_task(const void *task, size_t len, void *result,
                                size_t cap, size_t *out, void *arg)
{
    uint64_t x;
    (void)cap;
    (void)arg;
    if (!task_x(task, len, &x))
        return COORD_EINVAL;
    if (x == 1000) {
        size_t ent = round8(sizeof(struct result_ent) + sizeof x);
        struct result_ent *first =
            (struct result_ent *)((unsigned char *)result -
                                  sizeof(struct result_ent) - 2 * ent);
        first->len = 0xffffffffu;
    }
    return squared(x, result, out);
}

/* A result chunk whose entries were written over parsed short, and the
 * tasks after the bad entry were dropped: pending for ever, shutdown timed
 * out. The pool now stops as for a broken queue: every task one outcome. */
TEST(pool_malformed_result_chunk_breaks_the_pool)
{
    coord_pool *p = start_zeroed(2, 4, result_scribble_task, NULL);
    const uint64_t xs[4] = {2, 3, 1000, 5}; /* one chunk: the third scribbles */
    for (int i = 0; i < 4; i++)
        ASSERT_OK(coord_pool_submit(p, &xs[i], sizeof xs[i], NULL, 10000));
    int r = coord_pool_shutdown(p, 20000);
    ASSERT_TRUE(r == 0 || r == COORD_EPROTO);
    ASSERT_EQ(count_children(), 0);
    bool seen[4] = {false, false, false, false};
    coord_task_result res;
    uint64_t v;
    for (int k = 0; k < 4; k++) {
        ASSERT_OK(coord_pool_result(p, &res, &v, sizeof v, 0));
        ASSERT_LT(res.id, 4);
        ASSERT_FALSE(seen[res.id]);
        seen[res.id] = true;
        if (res.status == 0)
            ASSERT_EQ_U(v, xs[res.id] * xs[res.id]);
        else
            ASSERT_CODE(res.status, COORD_EPROTO);
    }
    ASSERT_CODE(coord_pool_result(p, &res, NULL, 0, 0), COORD_ENODATA);
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ_U(st.pending, 0);
    coord_pool_destroy(p);
}

/* Records that look right and lie: a task that says its worker had not
 * started (W_TAKING), or that its run is always the first attempt, then
 * dies, had its chunk queued again at every death, for ever (a death and
 * a fork each time). The parent counts a task's requeues itself: past
 * opts.retries + 1 + 32 deaths it is reported. */
TEST(pool_forged_record_requeues_a_bounded_number_of_times)
{
    for (uint64_t x = 5; x <= 6; x++) {
        coord_pool_opts o;
        memset(&o, 0, sizeof o);
        o.workers = 1;
        o.retries = 2;
        coord_pool *p;
        ASSERT_OK(coord_pool_start(&p, &o, scribble_task, NULL));
        uint64_t good = 20;
        ASSERT_OK(coord_pool_submit(p, &x, sizeof x, NULL, 10000));
        ASSERT_OK(coord_pool_submit(p, &good, sizeof good, NULL, 10000));
        ASSERT_OK(coord_pool_shutdown(p, 60000));
        ASSERT_EQ(count_children(), 0);
        coord_task_result r;
        uint64_t v = 0;
        bool seen[2] = {false, false};
        for (int k = 0; k < 2; k++) {
            ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 0));
            ASSERT_LT(r.id, 2);
            ASSERT_FALSE(seen[r.id]);
            seen[r.id] = true;
            if (r.id == 0) {
                ASSERT_CODE(r.status, COORD_EPEERDIED);
                ASSERT_TRUE(strstr(r.cause, "died") != NULL);
            } else {
                ASSERT_OK(r.status);
                ASSERT_EQ_U(v, 400);
            }
        }
        coord_pool_stats st;
        ASSERT_OK(coord_pool_get_stats(p, &st));
        ASSERT_LE(st.deaths, o.retries + 2 + 32);
        ASSERT_EQ_U(st.pending, 0);
        coord_pool_destroy(p);
    }
}

/* Task 3 forks, and the fork returns from the callback as the worker does
 * (a task whose child path raised past its _exit, say); a task that runs
 * in such a fork dies. */
static int forking_task(const void *task, size_t len, void *result,
                        size_t cap, size_t *out, void *arg)
{
    _Atomic int *forked = arg;
    uint64_t x;
    (void)cap;
    if (!task_x(task, len, &x))
        return COORD_EINVAL;
    if ((int)getpid() == atomic_load(forked))
        raise(SIGKILL);
    if (x == 3) {
        pid_t k = fork();
        if (k == 0)
            atomic_store(forked, (int)getpid());
        else if (k < 0)
            return COORD_EAGAIN;
    }
    usleep(5000); /* a backlog: the fork, napping, would find some */
    return squared(x, result, out);
}

/* A fork the callback made and that returns is not a worker: it leaves
 * at once, writes nothing, takes no task and no pill. It ran on as a second
 * worker in the same slot, which the parent does not watch: the tasks it
 * took and died with were never settled (shutdown timed out, a wait for
 * them hung), and a pill it took left a worker running. */
TEST(pool_task_that_forks_loses_no_task)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1); /* the forks, orphaned, come here */
    _Atomic int *forked = mmap(NULL, sizeof *forked, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(forked != MAP_FAILED);
    coord_pool *p = start_zeroed(2, 1, forking_task, (void *)forked);
    enum { N = 60 };
    for (uint64_t x = 0; x < N; x++) {
        ASSERT_OK(coord_pool_submit(p, &x, sizeof x, NULL, 10000));
        if (x == 3)
            usleep(50000); /* the fork is out before the rest go */
    }
    ASSERT_OK(coord_pool_shutdown(p, 10000));
    bool seen[N] = {false};
    for (int k = 0; k < N; k++) {
        coord_task_result r;
        uint64_t v = 0;
        ASSERT_OK(coord_pool_result(p, &r, &v, sizeof v, 0));
        ASSERT_LT(r.id, N);
        ASSERT_FALSE(seen[r.id]);
        seen[r.id] = true;
        ASSERT_OK(r.status);
        ASSERT_EQ_U(v, r.id * r.id);
    }
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ_U(st.deaths, 0);
    coord_pool_destroy(p);
    while (waitpid(-1, NULL, 0) > 0)
        ;
}

/* Tasks x < 50 kill their worker, the rest square. */
static int die_below_50(const void *task, size_t len, void *result,
                        size_t cap, size_t *out, void *arg)
{
    uint64_t x;
    (void)cap, (void)arg;
    if (!task_x(task, len, &x))
        return COORD_EINVAL;
    if (x < 50)
        raise(SIGKILL);
    return squared(x, result, out);
}

/* A death counts to the task that was running, not to the tasks behind it
 * in its chunk, which had not started: 50 tasks that each kill their
 * worker, then 50 good ones, in one chunk of 100. Past 34 deaths the rest
 * of the chunk (17 killers and the 50 good tasks) failed unrun, 'its
 * worker died 34 times with it'. */
TEST(pool_deaths_in_a_chunk_count_to_the_task_that_ran)
{
    coord_pool *p = start_zeroed(1, 100, die_below_50, NULL);
    uint64_t tasks[100], res[100];
    for (uint64_t x = 0; x < 100; x++)
        tasks[x] = x;
    static coord_task_result info[100];
    ASSERT_EQ(coord_pool_map(p, tasks, 100, sizeof tasks[0], res, sizeof res[0],
                             info, 60000),
              50);
    for (uint64_t x = 0; x < 100; x++) {
        if (x < 50) {
            ASSERT_CODE(info[x].status, COORD_EPEERDIED);
            ASSERT_STR_EQ(info[x].cause, "signal 9 (Killed)");
            ASSERT_EQ_U(info[x].attempts, 1);
        } else {
            ASSERT_OK(info[x].status);
            ASSERT_EQ_U(res[x], x * x);
        }
    }
    coord_pool_stats st;
    ASSERT_OK(coord_pool_get_stats(p, &st));
    ASSERT_EQ_U(st.deaths, 50);
    coord_pool_destroy(p);
}

/* With more workers than RLIMIT_NOFILE (ulimit -n below the worker count,
 * or lowered after the start), poll() over the pidfds failed with EINVAL
 * every time: a worker's death went unseen, its task's result never came
 * (the wait timed out, or waited for ever) and shutdown timed out too. */
TEST(pool_worker_death_seen_with_more_workers_than_rlimit_nofile)
{
    struct ctl *c = new_ctl();
    coord_pool *p = start(8, 0, true, c);
    struct rlimit old, low;
    ASSERT_OK(getrlimit(RLIMIT_NOFILE, &old));
    low = (struct rlimit){4, old.rlim_max};
    ASSERT_OK(setrlimit(RLIMIT_NOFILE, &low));
    int sub = 0, got = 0, err = 0, st7 = 0, ws7 = 0;
    for (uint32_t i = 0; i < 20 && !sub; i++) {
        struct task t = {i == 7 ? DO_EXIT3 : DO_SQUARE, i};
        sub = coord_pool_submit(p, &t, sizeof t, NULL, 20000);
    }
    for (uint32_t i = 0; i < 20 && !sub && !err; i++) {
        coord_task_result r;
        uint64_t v;
        err = coord_pool_result(p, &r, &v, sizeof v, 20000);
        if (!err && r.id == 7) {
            st7 = r.status;
            ws7 = r.wait_status;
        }
        got += !err;
    }
    int sd = coord_pool_shutdown(p, 20000);
    ASSERT_OK(setrlimit(RLIMIT_NOFILE, &old));
    ASSERT_OK(sub);
    ASSERT_OK(err);
    ASSERT_EQ(got, 20);
    ASSERT_CODE(st7, COORD_EPEERDIED);
    ASSERT_TRUE(WIFEXITED(ws7) && WEXITSTATUS(ws7) == 3);
    ASSERT_OK(sd);
    end_with_stats(p, 1, 1, 1);
}

#define TEST_LIST(X)                                                           \
    X(pool_basic)                                                              \
    X(pool_map_of_a_count_no_memory_holds)                                     \
    X(pool_destroy_in_a_forked_child_leaves_the_owners_pool)                   \
    X(pool_worker_killed_mid_task)                                             \
    X(pool_fork_hooks_bracket_each_replacement)                                \
    X(pool_replacement_outlives_the_thread_that_forked_it)                     \
    X(pool_workers_die_with_their_process_not_its_threads)                     \
    X(pool_worker_exit3)                                                       \
    X(pool_sigchld_ignored_worker_exit)                                        \
    X(pool_result_without_memory_is_reported)                                  \
    X(pool_worker_segfault)                                                    \
    X(pool_retry_after_death)                                                  \
    X(pool_all_workers_dead_no_replace)                                        \
    X(pool_submit_while_last_worker_dies)                                      \
    X(pool_random_kills_with_retries)                                          \
    X(pool_random_kills_in_chunks)                                             \
    X(pool_death_mid_chunk_settles_each_task_once)                             \
    X(pool_map_returns_despite_killed_worker)                                  \
    X(pool_map_kills_in_auto_chunks)                                           \
    X(pool_destroy_kills_running_workers)                                      \
    X(pool_zeroed_opts_mean_defaults)                                          \
    X(pool_bad_input)                                                          \
    X(pool_pill_taken_by_killed_worker)                                        \
    X(pool_failed_task_keeps_its_bytes)                                        \
    X(pool_broken_queue_stops_replacing)                                       \
    X(pool_broken_queue_seen_by_submit)                                        \
    X(pool_malformed_result_chunk_breaks_the_pool)                             \
    X(pool_forged_record_requeues_a_bounded_number_of_times)                   \
    X(pool_long_task_does_not_hold_back_the_next)                              \
    X(pool_idle_worker_killed_then_submit)                                     \
    X(pool_stale_copy_does_not_hide_a_dead_workers_chunk)                      \
    X(pool_workers_retire_after_n_tasks)                                       \
    X(pool_retirement_mid_chunk_queues_the_rest_once)                          \
    X(pool_map_with_retirement)                                                \
    X(pool_every_worker_retires_at_once)                                       \
    X(pool_retired_worker_last_result_once_either_order)                       \
    X(pool_worker_killed_while_retiring)                                       \
    X(pool_retirement_during_shutdown_and_destroy)                             \
    X(pool_stale_copy_of_a_retiring_workers_chunk)                             \
    X(pool_retirement_with_retries_and_deaths)                                 \
    X(pool_retire_after_bad_values)                                            \
    X(pool_stuck_queue_lock_does_not_hang_a_death)                             \
    X(pool_scribbled_record_loses_no_task)                                     \
    X(pool_task_that_forks_loses_no_task)                                      \
    X(pool_deaths_in_a_chunk_count_to_the_task_that_ran)                       \
    X(pool_worker_death_seen_with_more_workers_than_rlimit_nofile)
#define HELPER_LIST(X)
TEST_MAIN()
