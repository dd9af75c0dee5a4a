/* panel.h - heapviz's side panel (viz/panel.c): the figures at the cursor, the
 * block under the pointer or the free blocks by size, the colour mode's legend. */
#ifndef VIZ_PANEL_H
#define VIZ_PANEL_H

#include "render.h"
#include "view.h"

/* Draws the panel into v->panel (laid out by view_layout). */
void panel_draw(struct view *v, render *r);

#endif /* VIZ_PANEL_H */
