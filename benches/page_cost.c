/*
 * What a new page costs on this machine, next to copying the same bytes.
 *
 * passforge's writer thread spends most of its time on page-cache pages for
 * each new .pkpass file; this probe separates that from passforge: it writes
 * 88 KB (one example pass) in four ways and prints microseconds per write.
 *
 *   cc -O2 -o /tmp/page_cost benches/page_cost.c && /tmp/page_cost /dev/shm 4000
 *
 * - copy:         memcpy into a buffer already touched (cache and memory only)
 * - overwrite:    pwrite over an existing file's pages (syscall + copy)
 * - new file:     create, write, close; files unlinked right after, so the
 *                 kernel reuses the pages it just freed
 * - anon pages:   touch 22 anonymous pages, then MADV_DONTNEED them (a page
 *                 fault and a fresh zeroed page each time, no file system)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void must(int ok, const char *what) {
    if (!ok) {
        perror(what);
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s <folder> <writes>\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    int n = atoi(argv[2]);
    if (n <= 0) {
        fprintf(stderr, "<writes> must be a positive number, not %s\n", argv[2]);
        return 2;
    }
    const size_t size = 88 * 1024;
    char *buf = malloc(size), *dst = malloc(size), path[4096];
    must(buf && dst, "malloc");
    memset(buf, 7, size);
    memset(dst, 1, size);

    double t = now();
    for (int i = 0; i < n; i++) {
        memcpy(dst, buf, size);
        __asm__ volatile("" : : "r"(dst) : "memory");
    }
    double copy = now() - t;

    snprintf(path, sizeof path, "%s/page_cost.%d", dir, (int)getpid());
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    must(fd >= 0, path);
    must(pwrite(fd, buf, size, 0) == (ssize_t)size, "pwrite");
    t = now();
    for (int i = 0; i < n; i++)
        must(pwrite(fd, buf, size, 0) == (ssize_t)size, "pwrite");
    double overwrite = now() - t;
    close(fd);
    unlink(path);

    t = now();
    for (int i = 0; i < n; i++) {
        fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
        must(fd >= 0, path);
        must(write(fd, buf, size) == (ssize_t)size, "write");
        close(fd);
        unlink(path);
    }
    double fresh = now() - t;

    char *anon = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    must(anon != MAP_FAILED, "mmap");
    t = now();
    for (int i = 0; i < n; i++) {
        memcpy(anon, buf, size);
        must(madvise(anon, size, MADV_DONTNEED) == 0, "madvise");
    }
    double pages = now() - t;

    printf("88 KB: copy %.1f us, overwrite %.1f us, new file %.1f us, anon pages %.1f us (%.2f us a 4 KB page)\n",
           copy / n * 1e6, overwrite / n * 1e6, fresh / n * 1e6, pages / n * 1e6,
           pages / n * 1e6 / (size / 4096.0));
    return 0;
}
