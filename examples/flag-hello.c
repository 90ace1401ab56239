/* SPDX-License-Identifier: MIT */
/* flag-hello.c: four workers search, the first hit claims the flag, the rest stop. */
#include <coord.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    coord_flag *found;
    if (coord_flag_create(&found) != 0)           /* shared with children */
        return 1;
    for (int w = 0; w < 4; w++) {
        if (fork() == 0) {                        /* worker w: w, w+4, ... */
            for (long i = w; i < 100000000; i += 4) {
                if ((i / 4) % 1024 == 0 && coord_flag_is_set(found))
                    _exit(0);                     /* another worker won */
                if (i == 4242 && coord_flag_claim(found)) { /* exactly one */
                    printf("worker %d found %ld\n", w, i);
                    fflush(stdout);               /* _exit does not flush */
                    _exit(0);
                }
            }
            _exit(0);
        }
    }
    while (wait(NULL) > 0)                        /* join all: no zombies */
        ;
    printf("flag set: %s\n", coord_flag_is_set(found) ? "yes" : "no");
    coord_flag_destroy(found);
    return 0;
}
