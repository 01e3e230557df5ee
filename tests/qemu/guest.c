/*
 * The guest side of the QEMU suite (tests/qemu.rs): loads seccomp programs that
 * the host compiled, makes one syscall under each, and reports what the kernel did.
 *
 * Cross-compiled per ABI and linked statically; the native one is /init of the
 * guest's initramfs:
 *
 *     /init [CASES]    runs CASES (default /cases0.bin), then every /compatN
 *                      (N = 1..9) on /casesN.bin, then powers the machine off
 *     HARNESS CASES    (any other process) runs CASES and exits
 *
 * CASES, written by the host, all integers little-endian whatever the guest:
 *
 *     "SCQ1"  u32 tag_len  tag[tag_len]
 *     u32 nprogs  { u32 ninsns  insns[8 * ninsns] }     (insns as the kernel loads
 *                                                        them: the ABI's byte order)
 *     u32 ncases  { u32 prog  u32 seen_nr  i64 nr  u64 args[6] }
 *
 * For each case the harness forks. The child starts a worker thread and waits;
 * the worker sets PR_SET_NO_NEW_PRIVS, installs a marker filter and then the case's
 * program, and makes syscall NR with ARGS (each truncated to a register of the
 * ABI). The marker returns SECCOMP_RET_ERRNO | 4095 for every syscall but the one
 * installing the case's program, so that a syscall the case's program lets through
 * (allow, log, trace without a tracer, notify without a listener: all less severe
 * than errno) fails with errno 4095 and never runs, while each more severe action of
 * the case's program (errno(n) of the newer filter, trap, kill) takes effect.
 * The worker is the only filtered thread, so kill_thread ends it and not the child.
 * SEEN_NR is the number the host expects seccomp_data.nr to hold; it only chooses
 * the installing syscall (seccomp(2), or prctl(2) when the case's number is
 * seccomp's), which the marker lets through.
 *
 * One line a case on standard output:
 *
 *     @R TAG INDEX ret VALUE ERRNO NAME      the syscall returned (ERRNO 0 if not -1;
 *                                            NAME is the C library's, or - for 0)
 *     @R TAG INDEX trap CODE SYSCALL ARCH ERRNO   SIGSYS reached the handler
 *     @R TAG INDEX kill_thread               the worker ended, the child lived
 *     @R TAG INDEX kill_process              the child was killed by SIGSYS
 *     @R TAG INDEX signal N                  the child was killed by signal N
 *     @R TAG INDEX refused STEP ERRNO        a load failed (0 nnp, 1 marker, 2 case)
 *     @R TAG INDEX lost STATE STATUS         none of these (the child's wait status)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARKER_ERRNO 4095

enum state { NONE, STARTED, RETURNED, TRAPPED, REFUSED };

/* Shared between the harness and each child (MAP_SHARED), reset for every case. */
struct report {
    volatile int state;
    long ret;
    int err;
    int code, sys, sig_errno;
    unsigned arch;
    int step;
};

struct prog {
    uint32_t len;
    struct sock_filter *insns;
};

struct call {
    uint32_t prog, seen_nr;
    int64_t nr;
    uint64_t args[6];
};

static struct report *rep;
static struct prog *progs;
static const struct call *cur;

static void die(const char *what) {
    printf("@FATAL %s: %s\n", what, strerror(errno));
    fflush(stdout);
    exit(1);
}

static uint32_t rd32(const unsigned char **p, const unsigned char *end) {
    if (end - *p < 4) {
        errno = EINVAL;
        die("cases file truncated");
    }
    uint32_t v = (uint32_t)(*p)[0] | (uint32_t)(*p)[1] << 8 | (uint32_t)(*p)[2] << 16 |
                 (uint32_t)(*p)[3] << 24;
    *p += 4;
    return v;
}

static uint64_t rd64(const unsigned char **p, const unsigned char *end) {
    uint64_t lo = rd32(p, end);
    return lo | (uint64_t)rd32(p, end) << 32;
}

/* Any syscall from here on is the case program's to judge: spin (no syscall) until
 * the child's main thread sees the report and exits. */
static __attribute__((noreturn)) void spin(void) {
    for (;;)
        __asm__ volatile("" ::: "memory");
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    rep->code = si->si_code;
    rep->sys = si->si_syscall;
    rep->arch = si->si_arch;
    rep->sig_errno = si->si_errno;
    __atomic_store_n(&rep->state, TRAPPED, __ATOMIC_SEQ_CST);
    spin();
}

#if defined(__mips__) && _MIPS_SIM == _ABIN32
/* n32's registers are 64 bits but its C `long` is 32: syscall() would pass each
 * value sign-extended from its low word, so the call is made here with all 64
 * bits (v0 the number, a0..a5 the arguments, a3 the error flag on return). */
static long call6(long long nr, const uint64_t *a, int *err) {
    register long long v0 __asm__("$2") = nr;
    register long long r4 __asm__("$4") = (long long)a[0];
    register long long r5 __asm__("$5") = (long long)a[1];
    register long long r6 __asm__("$6") = (long long)a[2];
    register long long r7 __asm__("$7") = (long long)a[3];
    register long long r8 __asm__("$8") = (long long)a[4];
    register long long r9 __asm__("$9") = (long long)a[5];
    __asm__ volatile("syscall"
                     : "+r"(v0), "+r"(r7)
                     : "r"(r4), "r"(r5), "r"(r6), "r"(r8), "r"(r9)
                     : "$1", "$3", "$10", "$11", "$12", "$13", "$14", "$15", "$24", "$25",
                       "hi", "lo", "memory");
    if (r7) {
        *err = (int)v0;
        return -1;
    }
    *err = 0;
    return (long)v0;
}
#else
static long call6(long long nr, const uint64_t *a, int *err) {
    errno = 0;
    long r = syscall((long)nr, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4],
                     (long)a[5]);
    *err = r == -1 ? errno : 0;
    return r;
}
#endif

static int install(int use_prctl, struct sock_fprog *fp) {
    if (use_prctl)
        return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fp, 0, 0);
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, fp);
}

static void *worker(void *unused) {
    (void)unused;
    const struct call *c = cur;
    /* The spinning worker yields to the child's main thread at once. */
    struct sched_param sp = {0};
    sched_setscheduler(0, SCHED_IDLE, &sp);

    int case_prctl = c->seen_nr == (uint32_t)SYS_seccomp;
    struct sock_filter marker[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), /* seccomp_data.nr */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, case_prctl ? SYS_prctl : SYS_seccomp, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | MARKER_ERRNO),
    };
    struct sock_fprog mp = {sizeof marker / sizeof marker[0], marker};
    struct sock_fprog cp = {(unsigned short)progs[c->prog].len, progs[c->prog].insns};

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
        rep->step = 0;
    } else if (install(0, &mp)) {
        rep->step = 1;
    } else if (install(case_prctl, &cp)) {
        rep->step = 2;
    } else {
        rep->state = STARTED;
        int err;
        long r = call6(c->nr, c->args, &err);
        rep->err = err;
        rep->ret = r;
        __atomic_store_n(&rep->state, RETURNED, __ATOMIC_SEQ_CST);
        spin();
    }
    rep->err = errno;
    __atomic_store_n(&rep->state, REFUSED, __ATOMIC_SEQ_CST);
    spin();
}

/* The child: one worker thread makes the call; this thread watches it. */
static void child(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL))
        _exit(120);
    struct timespec pause = {0, 200 * 1000};
    for (long i = 0; i < 50000; i++) { /* 10 s at most */
        if (__atomic_load_n(&rep->state, __ATOMIC_SEQ_CST) >= RETURNED)
            _exit(0);
        if (pthread_tryjoin_np(t, NULL) == 0)
            _exit(100); /* the worker ended without reporting: kill_thread */
        nanosleep(&pause, NULL);
    }
    _exit(121);
}

static void run_case(const char *tag, uint32_t index, const struct call *c) {
    memset((void *)rep, 0, sizeof *rep);
    cur = c;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0)
        child();
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    printf("@R %s %u ", tag, index);
    switch (rep->state) {
    case RETURNED:
        printf("ret %ld %d %s\n", rep->ret, rep->err,
               rep->err ? (strerrorname_np(rep->err) ? strerrorname_np(rep->err) : "?") : "-");
        return;
    case TRAPPED:
        printf("trap %d %d 0x%x %d\n", rep->code, rep->sys, rep->arch, rep->sig_errno);
        return;
    case REFUSED:
        printf("refused %d %d\n", rep->step, rep->err);
        return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 100)
        printf("kill_thread\n");
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
        printf("kill_process\n");
    else if (WIFSIGNALED(status))
        printf("signal %d\n", WTERMSIG(status));
    else
        printf("lost %d 0x%x\n", rep->state, status);
}

static unsigned char *slurp(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st))
        die("fstat");
    unsigned char *buf = malloc(st.st_size ? st.st_size : 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, st.st_size - got);
        if (n <= 0)
            die("read cases");
        got += n;
    }
    close(fd);
    *len = got;
    return buf;
}

static void run_file(const char *path) {
    size_t len;
    const unsigned char *p = slurp(path, &len), *end;
    if (!p)
        die(path);
    end = p + len;
    if (len < 4 || memcmp(p, "SCQ1", 4)) {
        errno = EINVAL;
        die("not a cases file");
    }
    p += 4;
    uint32_t tag_len = rd32(&p, end);
    if (tag_len > 63 || (size_t)(end - p) < tag_len)
        die("bad tag");
    char tag[64];
    memcpy(tag, p, tag_len);
    tag[tag_len] = 0;
    p += tag_len;

    uint32_t nprogs = rd32(&p, end);
    progs = calloc(nprogs ? nprogs : 1, sizeof *progs);
    for (uint32_t i = 0; i < nprogs; i++) {
        progs[i].len = rd32(&p, end);
        if ((size_t)(end - p) / 8 < progs[i].len)
            die("program truncated");
        progs[i].insns = malloc(8 * (size_t)progs[i].len + 8);
        memcpy(progs[i].insns, p, 8 * (size_t)progs[i].len);
        p += 8 * (size_t)progs[i].len;
    }
    uint32_t ncases = rd32(&p, end);
    struct utsname u;
    uname(&u);
    printf("@BEGIN %s %u %s %s %s\n", tag, ncases, u.sysname, u.release, u.machine);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (uint32_t i = 0; i < ncases; i++) {
        struct call c;
        c.prog = rd32(&p, end);
        c.seen_nr = rd32(&p, end);
        c.nr = (int64_t)rd64(&p, end);
        for (int a = 0; a < 6; a++)
            c.args[a] = rd64(&p, end);
        if (c.prog >= nprogs)
            die("case names no program");
        run_case(tag, i, &c);
    }
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("@DONE %s %ld ms\n", tag,
           (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
    fflush(stdout);
}

int main(int argc, char **argv) {
    int init = getpid() == 1;
    if (init && fcntl(1, F_GETFD) < 0) {
        mkdir("/dev", 0755);
        mknod("/dev/console", S_IFCHR | 0600, makedev(5, 1));
        int fd = open("/dev/console", O_RDWR);
        if (fd < 0)
            return 1;
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
    }
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, NULL);

    rep = mmap(NULL, sizeof *rep, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (rep == MAP_FAILED)
        die("mmap");

    if (!init) {
        if (argc != 2) {
            fprintf(stderr, "usage: %s CASES\n", argv[0]);
            return 2;
        }
        run_file(argv[1]);
        return 0;
    }

    run_file(argc > 1 ? argv[1] : "/cases0.bin");
    for (int i = 1; i <= 9; i++) {
        char bin[16], cases[16];
        snprintf(bin, sizeof bin, "/compat%d", i);
        snprintf(cases, sizeof cases, "/cases%d.bin", i);
        if (access(bin, X_OK))
            continue;
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            execl(bin, bin, cases, (char *)NULL);
            printf("@FATAL exec %s: %s\n", bin, strerror(errno));
            fflush(stdout);
            _exit(1);
        }
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status))
            printf("@FATAL %s ended with status 0x%x\n", bin, status);
    }
    printf("@END\n");
    fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}
