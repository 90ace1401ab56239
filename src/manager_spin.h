/* SPDX-License-Identifier: MIT */
/* manager_spin.h: the spinset a manager shares with its clients, so that they do not count each other's spins as load. */
#ifndef COORD_MANAGER_SPIN_H
#define COORD_MANAGER_SPIN_H

#include "wait.h"

/*
 * A manager's server and its clients spin while a reply or the next
 * request is about to come (wait.h). Counted as load, they would stop each
 * other from spinning as soon as there are more of them than CPUs: two
 * clients and the server on 2 CPUs made every wait a sleep (p50 12 µs
 * instead of 2). So they announce their spins in one coord__spinset, a
 * named segment `mspin-<dev>-<inode>` of the socket file, which the server
 * creates when it starts serving and removes when it stops, and which a
 * client maps when it connects (opening checks its owner and size, as every
 * segment open does). In it the server spins in the lead's slot and the
 * clients claim the member slots, so that at most one spinner per CPU
 * spins on the manager: with more, the spinners took turns with each
 * other and with the server they wait for (on 2 CPUs the aggregate of 4
 * clients was half that of 1 or 2). Everything about it is best effort:
 * when it cannot be made or found, the waits lose the discount and the
 * cap.
 */

/* The server's: create (or take over a stale one of a dead server on the
 * same inode) the spinset of its socket file (dev, ino): known from the
 * listen on, not looked up by the name the socket was bound at (a private
 * name, gone once the file was linked at its path). NULL when none. */
struct coord__spinset *coord__mspin_serve(dev_t dev, ino_t ino);
/* The client's: map the spinset of the manager at socket `path`. NULL
 * when none. */
struct coord__spinset *coord__mspin_open(const char *path);
/* Unmap it; the server (unlink true) also removes the name. NULL is
 * ignored. */
void coord__mspin_close(struct coord__spinset *set, bool unlink);
/* Removes the spinset name of the server socket (dev, ino): the owner calls
 * it when it cleans up after a server that died without removing it. */
void coord__mspin_forget(dev_t dev, ino_t ino);

#endif
