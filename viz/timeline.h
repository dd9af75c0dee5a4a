/* timeline.h - heapviz's timeline strip (viz/timeline.c): used, largest free and
 * fragmentation across the trace on autoscaled axes, the marks of failures, the
 * peak and the panic, named markers, the selected range and the playhead. */
#ifndef VIZ_TIMELINE_H
#define VIZ_TIMELINE_H

#include <stddef.h>

#include "render.h"
#include "view.h"

/* Pixels the timeline takes for strips strip_h high and text text_h high. */
int timeline_height(int strip_h, int text_h);

/* Draws the timeline into v->timeline; sets v->tl_sx, v->tl_sw. */
void timeline_draw(struct view *v, render *r);

/* The position under pixel column x of the last timeline drawn (clamped). */
size_t timeline_pos_at(const struct view *v, int x);

/* Geometry of the last timeline drawn (for tests): the pixel column of
 * position pos; strip k's box (0 used, 1 largest free, 2 fragmentation; its
 * data rises from 3 pixels above its bottom); the row of the marks band. */
int timeline_x(const struct view *v, size_t pos);
struct view_rect timeline_strip(const struct view *v, int k);
int timeline_mark_y(const struct view *v);

#endif /* VIZ_TIMELINE_H */
