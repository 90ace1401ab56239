#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sched-split.py TIMEHIST...: where a manager benchmark's CPU time went, from `perf sched timehist`.

  perf sched record -o run.data -- build-peer/mgrlat --clients 16 --secs 0.5
  perf sched timehist -i run.data > run.th
  scripts/sched-split.py run.th

For the middle of the run (60 ms after its first row to 40 ms before its last: the clients'
start and end left out) it prints each CPU's idle share, the share of that time that clients
ran on the server's CPU (and in how many slices), and the server's run time. The server is the
task with the most rows, its CPU the one it has most rows on; every other `mgrlat` task is a
client. docs/results.md "Session 10" quotes it.
"""
import sys,re,collections
for f in sys.argv[1:]:
    rows=[]
    for line in open(f):
        p=line.split()
        if len(p)<6 or not re.match(r'\d+\.\d+$',p[0]): continue
        rows.append((float(p[0]),p[1],p[2],float(p[-1])))
    t0,t1=rows[0][0],rows[-1][0]
    a,b=t0+0.06,t1-0.04
    cnt=collections.Counter(r[2] for r in rows if r[2]!='<idle>')
    srv=cnt.most_common(1)[0][0]
    scpu=collections.Counter(r[1] for r in rows if r[2]==srv).most_common(1)[0][0]
    idle=collections.defaultdict(float); clis=0; srvrun=0; n=0
    for t,c,task,run in rows:
        if not (a<=t<=b): continue
        if task=='<idle>': idle[c]+=run
        elif task==srv: srvrun+=run
        elif c==scpu and 'mgrlat' in task: clis+=run; n+=1
    span=(b-a)*1000
    print(f, 'window %.0f ms'%span, 'idle %s'%{k:'%.1f%%'%(100*v/span) for k,v in idle.items()}, 'clients on server cpu %.1f%% (%d slices)'%(100*clis/span,n), 'server ran %.1f%%'%(100*srvrun/span))
