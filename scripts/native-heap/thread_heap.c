/* What glibc does with a 48 MB block that is freed and asked for again on a thread other than the process's first,
 * with SharpSeg's training settings (Engine/NativeHeap.cs) and without them. Each line is one fresh thread that first
 * holds HELD MB of its own heap (glibc gives such a thread heaps of at most 64 MB), then frees and re-allocates a
 * touched 48 MB block, and prints where it landed and the page faults of touching it again (12,288 = fresh pages).
 *
 *   gcc -O1 -pthread scripts/native-heap/thread_heap.c -o /tmp/thread_heap
 *   /tmp/thread_heap defaults       # glibc's defaults: 48 MB is mapped on its own and unmapped when freed
 *   /tmp/thread_heap retain         # M_MMAP_MAX 0, M_TRIM_THRESHOLD 2 GB (SharpSeg before 2026-12-08)
 *   /tmp/thread_heap retain-pad     # and M_TOP_PAD 64 MB (SharpSeg since)
 */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static long faults(void) { struct rusage r; getrusage(RUSAGE_SELF, &r); return r.ru_minflt; }
static void touch(char *p, size_t n) { for (size_t i = 0; i < n; i += 4096) p[i] = 1; }

static void *run(void *arg)
{
    size_t held_mb = (size_t)arg, n = (size_t)48 << 20;
    char *held = held_mb ? malloc(held_mb << 20) : NULL;
    if (held) touch(held, held_mb << 20);
    char *p = malloc(n);
    touch(p, n);
    free(p);
    long before = faults();
    p = malloc(n);
    touch(p, n);
    printf("held %2zu MB: block at %p, %5ld page faults\n", held_mb, (void *)p, faults() - before);
    free(p);
    free(held);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "retain-pad";
    if (strncmp(mode, "retain", 6) == 0) {
        mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
        mallopt(M_MMAP_MAX, 0);
        if (strcmp(mode, "retain-pad") == 0) mallopt(M_TOP_PAD, 64 << 20);
    }
    printf("%s\n", mode);
    size_t helds[] = {0, 8, 16, 30, 40, 60, 63};
    for (size_t i = 0; i < sizeof helds / sizeof *helds; i++) {
        pthread_t t;
        pthread_create(&t, NULL, run, (void *)helds[i]);
        pthread_join(t, NULL);
    }
    return 0;
}
