/* render.h - the tiny drawing and input interface heapviz draws through.
 * viz/render_sdl.c implements it with SDL2 + SDL2_ttf; nothing else in viz/
 * calls SDL. Coordinates are window pixels, (0,0) top left.
 *
 * Ownership: render_open returns a handle freed with render_close.
 * render_read_rgb returns a malloc'ed buffer the caller frees.
 */
#ifndef VIZ_RENDER_H
#define VIZ_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rcolor {
	uint8_t r, g, b, a;
};

typedef struct render render;

/* Opens a resizable window w x h (hidden = offscreen, for snapshots; the
 * caller sets SDL_VIDEODRIVER). Returns NULL with "what: SDL error" in err. */
render *render_open(const char *title, int w, int h, bool hidden, char *err, size_t errlen);
void render_close(render *r);

void render_size(render *r, int *w, int *h);
void render_title(render *r, const char *title);
void render_clip(render *r, int x, int y, int w, int h); /* w <= 0: no clip */
void render_clear(render *r, struct rcolor c);
void render_rect(render *r, int x, int y, int w, int h,
                 struct rcolor c); /* filled (alpha-blended) */
void render_frame(render *r, int x, int y, int w, int h, struct rcolor c); /* outline */
void render_line(render *r, int x1, int y1, int x2, int y2, struct rcolor c);
/* Draws s (ASCII) with its top left at x,y; returns the width drawn. */
int render_text(render *r, int x, int y, const char *s, struct rcolor c);
int render_text_width(render *r, const char *s);
int render_text_height(render *r);
/* Texts drawn since the last render_clear that did not fit inside the clip
 * rectangle (or the window): what a layout cut off. */
unsigned render_texts_cut(render *r);
/* Shows the frame. Returns false (with the error printed) if SDL failed. */
bool render_present(render *r);
/* The last frame drawn (before render_present), as RGB rows; NULL on failure. */
uint8_t *render_read_rgb(render *r, int *w, int *h);

/* ---- input ---- */
enum rkey {
	RK_NONE = 0,
	/* printable keys are their ASCII code (lower case) */
	RK_LEFT = 256,
	RK_RIGHT,
	RK_UP,
	RK_DOWN,
	RK_HOME,
	RK_END,
	RK_PAGEUP,
	RK_PAGEDOWN,
	RK_ESCAPE,
	RK_F1,
	RK_F12,
};
#define RMOD_SHIFT 1u
#define RMOD_CTRL  2u

enum rinput_type {
	RI_NONE,
	RI_QUIT,
	RI_KEY,
	RI_MOUSE_DOWN,
	RI_MOUSE_UP,
	RI_MOUSE_MOVE,
	RI_WHEEL,
	RI_RESIZE,
};

struct rinput {
	enum rinput_type type;
	int key;      /* RI_KEY: enum rkey or ASCII */
	unsigned mod; /* RMOD_* */
	int x, y;     /* pointer position */
	int button;   /* 1 left, 2 middle, 3 right */
	int wheel;    /* RI_WHEEL: +1 up, -1 down */
};

/* Waits up to timeout_ms for an input event. Returns false if there was none. */
bool render_poll(render *r, struct rinput *in, int timeout_ms);

/* Milliseconds since the renderer started. */
uint32_t render_ticks(void);

#endif /* VIZ_RENDER_H */
