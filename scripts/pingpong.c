/* SPDX-License-Identifier: MIT */
/* pingpong.c: two processes hand one counter back and forth in shared memory; prints ns per one-way hand-off,
 * the cost of moving a cache line between the CPUs they run on (docs/results.md, "The queue's line transfers").
 * gcc -O2 -o pp scripts/pingpong.c && ./pp [hand-offs / 2, default 2000000] */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#define PAUSE() __builtin_ia32_pause()
#else
#define PAUSE() ((void)0)
#endif
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
int main(int argc,char**argv){
  long n = argc>1?atol(argv[1]):2000000;
  _Atomic long *w = mmap(NULL,4096,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_ANONYMOUS,-1,0);
  atomic_store(w,0);
  pid_t p=fork();
  if(p==0){ for(long i=1;i<2*n;i+=2){ while(atomic_load_explicit(w,memory_order_acquire)!=i) PAUSE(); atomic_store_explicit(w,i+1,memory_order_release);} _exit(0);}
  double t0=now();
  for(long i=0;i<2*n;i+=2){ while(atomic_load_explicit(w,memory_order_acquire)!=i) PAUSE(); atomic_store_explicit(w,i+1,memory_order_release);}
  while(atomic_load(w)!=2*n) ;
  double t1=now(); waitpid(p,NULL,0);
  printf("pingpong ns_per_handoff=%.1f\n",(t1-t0)/(2.0*n));
  return 0;}
