/* render_sdl.c - render.h on SDL2 and SDL2_ttf: the only file in viz/ that calls SDL.
 * Every SDL call that can fail is checked; failures print SDL_GetError(). */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL2/SDL.h>
#include <SDL2/SDL_ttf.h>

#define FONT_DEFAULT "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
#define FONT_PT      12
#define GLYPH_FIRST  32
#define GLYPH_LAST   126

struct render {
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *glyphs; /* ASCII 32..126 side by side, white on transparent */
	int gw, gh;          /* glyph cell (monospace) */
	bool ttf_up;
	bool warned; /* a drawing error was reported already */
	SDL_Rect clip;      /* the clip rectangle (w 0: none, the window) */
	unsigned texts_cut; /* texts since render_clear that overran it */
};

/* Reports a failed SDL call once per kind of call (a draw loop would flood). */
static void sdl_warn(render *r, const char *what)
{
	if (r && r->warned)
		return;
	fprintf(stderr, "heapviz: %s: %s\n", what, SDL_GetError());
	if (r)
		r->warned = true;
}

static bool font_load(render *r)
{
	const char *path = getenv("HEAPVIZ_FONT");
	if (!path || !*path)
		path = FONT_DEFAULT;
	TTF_Font *font = TTF_OpenFont(path, FONT_PT);
	if (!font) {
		fprintf(stderr, "heapviz: font %s: %s (text not shown)\n", path, TTF_GetError());
		return false;
	}
	int adv = 0;
	if (TTF_GlyphMetrics(font, 'M', NULL, NULL, NULL, NULL, &adv) != 0 || adv <= 0)
		adv = FONT_PT * 6 / 10;
	r->gw = adv;
	/* render every glyph first: the cell must hold the tallest one (an
	 * underscore sits below the font's nominal height) */
	enum { N = GLYPH_LAST - GLYPH_FIRST + 1 };
	SDL_Surface *g[N];
	SDL_Color white = {255, 255, 255, 255};
	r->gh = TTF_FontLineSkip(font);
	for (int i = 0; i < N; i++) {
		g[i] = TTF_RenderGlyph_Blended(font, (Uint16)(GLYPH_FIRST + i), white);
		if (g[i] && g[i]->h > r->gh)
			r->gh = g[i]->h;
	}
	SDL_Surface *atlas =
	    SDL_CreateRGBSurfaceWithFormat(0, r->gw * N, r->gh, 32, SDL_PIXELFORMAT_RGBA32);
	if (!atlas)
		sdl_warn(NULL, "SDL_CreateRGBSurfaceWithFormat");
	for (int i = 0; i < N; i++) {
		if (!g[i])
			continue; /* a missing glyph stays blank */
		SDL_Rect dst = {i * r->gw, 0, g[i]->w, g[i]->h};
		if (atlas && (SDL_SetSurfaceBlendMode(g[i], SDL_BLENDMODE_NONE) != 0 ||
		              SDL_BlitSurface(g[i], NULL, atlas, &dst) != 0))
			sdl_warn(NULL, "SDL_BlitSurface (glyph)");
		SDL_FreeSurface(g[i]);
	}
	if (!atlas) {
		TTF_CloseFont(font);
		return false;
	}
	TTF_CloseFont(font);
	r->glyphs = SDL_CreateTextureFromSurface(r->ren, atlas);
	SDL_FreeSurface(atlas);
	if (!r->glyphs) {
		sdl_warn(NULL, "SDL_CreateTextureFromSurface (glyphs)");
		return false;
	}
	if (SDL_SetTextureBlendMode(r->glyphs, SDL_BLENDMODE_BLEND) != 0)
		sdl_warn(NULL, "SDL_SetTextureBlendMode");
	return true;
}

render *render_open(const char *title, int w, int h, bool hidden, char *err, size_t errlen)
{
	if (SDL_Init(SDL_INIT_VIDEO) != 0) {
		snprintf(err, errlen, "SDL_Init: %s", SDL_GetError());
		return NULL;
	}
	render *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		SDL_Quit();
		return NULL;
	}
	Uint32 flags = SDL_WINDOW_RESIZABLE | (hidden ? SDL_WINDOW_HIDDEN : SDL_WINDOW_SHOWN);
	r->win =
	    SDL_CreateWindow(title, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, w, h, flags);
	if (!r->win) {
		snprintf(err, errlen, "SDL_CreateWindow: %s", SDL_GetError());
		render_close(r);
		return NULL;
	}
	/* software rendering: exact colours for tests, works on any display */
	r->ren = SDL_CreateRenderer(r->win, -1, SDL_RENDERER_SOFTWARE);
	if (!r->ren) {
		snprintf(err, errlen, "SDL_CreateRenderer: %s", SDL_GetError());
		render_close(r);
		return NULL;
	}
	if (SDL_SetRenderDrawBlendMode(r->ren, SDL_BLENDMODE_BLEND) != 0)
		sdl_warn(r, "SDL_SetRenderDrawBlendMode");
	if (TTF_Init() != 0) {
		fprintf(stderr, "heapviz: TTF_Init: %s (text not shown)\n", TTF_GetError());
	} else {
		r->ttf_up = true;
		font_load(r);
	}
	if (!r->glyphs) {
		r->gw = 7;
		r->gh = 14;
	}
	return r;
}

void render_close(render *r)
{
	if (!r)
		return;
	if (r->glyphs)
		SDL_DestroyTexture(r->glyphs);
	if (r->ren)
		SDL_DestroyRenderer(r->ren);
	if (r->win)
		SDL_DestroyWindow(r->win);
	if (r->ttf_up)
		TTF_Quit();
	SDL_Quit();
	free(r);
}

void render_size(render *r, int *w, int *h)
{
	if (SDL_GetRendererOutputSize(r->ren, w, h) != 0) {
		sdl_warn(r, "SDL_GetRendererOutputSize");
		SDL_GetWindowSize(r->win, w, h);
	}
}

void render_title(render *r, const char *title)
{
	SDL_SetWindowTitle(r->win, title);
}

void render_clip(render *r, int x, int y, int w, int h)
{
	SDL_Rect rc = {x, y, w, h};
	r->clip = w > 0 ? rc : (SDL_Rect){0, 0, 0, 0};
	if (SDL_RenderSetClipRect(r->ren, w > 0 ? &rc : NULL) != 0)
		sdl_warn(r, "SDL_RenderSetClipRect");
}

static void set_color(render *r, struct rcolor c)
{
	if (SDL_SetRenderDrawColor(r->ren, c.r, c.g, c.b, c.a) != 0)
		sdl_warn(r, "SDL_SetRenderDrawColor");
}

void render_clear(render *r, struct rcolor c)
{
	set_color(r, c);
	r->texts_cut = 0;
	if (SDL_RenderClear(r->ren) != 0)
		sdl_warn(r, "SDL_RenderClear");
}

void render_rect(render *r, int x, int y, int w, int h, struct rcolor c)
{
	if (w <= 0 || h <= 0)
		return;
	SDL_Rect rc = {x, y, w, h};
	set_color(r, c);
	if (SDL_RenderFillRect(r->ren, &rc) != 0)
		sdl_warn(r, "SDL_RenderFillRect");
}

void render_frame(render *r, int x, int y, int w, int h, struct rcolor c)
{
	if (w <= 0 || h <= 0)
		return;
	SDL_Rect rc = {x, y, w, h};
	set_color(r, c);
	if (SDL_RenderDrawRect(r->ren, &rc) != 0)
		sdl_warn(r, "SDL_RenderDrawRect");
}

void render_line(render *r, int x1, int y1, int x2, int y2, struct rcolor c)
{
	set_color(r, c);
	if (SDL_RenderDrawLine(r->ren, x1, y1, x2, y2) != 0)
		sdl_warn(r, "SDL_RenderDrawLine");
}

int render_text(render *r, int x, int y, const char *s, struct rcolor c)
{
	int x0 = x;
	SDL_Rect box = r->clip;
	if (box.w <= 0)
		render_size(r, &box.w, &box.h);
	if (*s && (x < box.x || y < box.y || x + render_text_width(r, s) > box.x + box.w ||
	           y + r->gh > box.y + box.h))
		r->texts_cut++;
	if (!r->glyphs)
		return render_text_width(r, s);
	if (SDL_SetTextureColorMod(r->glyphs, c.r, c.g, c.b) != 0 ||
	    SDL_SetTextureAlphaMod(r->glyphs, c.a) != 0)
		sdl_warn(r, "SDL_SetTextureColorMod");
	for (; *s; s++, x += r->gw) {
		unsigned char ch = (unsigned char)*s;
		if (ch <= GLYPH_FIRST || ch > GLYPH_LAST)
			continue;
		SDL_Rect src = {(ch - GLYPH_FIRST) * r->gw, 0, r->gw, r->gh};
		SDL_Rect dst = {x, y, r->gw, r->gh};
		if (SDL_RenderCopy(r->ren, r->glyphs, &src, &dst) != 0)
			sdl_warn(r, "SDL_RenderCopy (text)");
	}
	return x - x0;
}

int render_text_width(render *r, const char *s)
{
	return (int)strlen(s) * r->gw;
}

int render_text_height(render *r)
{
	return r->gh;
}

unsigned render_texts_cut(render *r)
{
	return r->texts_cut;
}

bool render_present(render *r)
{
	SDL_RenderPresent(r->ren);
	return true;
}

uint8_t *render_read_rgb(render *r, int *w, int *h)
{
	render_size(r, w, h);
	if (*w <= 0 || *h <= 0)
		return NULL;
	uint8_t *buf = malloc((size_t)*w * (size_t)*h * 3);
	if (!buf)
		return NULL;
	if (SDL_RenderReadPixels(r->ren, NULL, SDL_PIXELFORMAT_RGB24, buf, *w * 3) != 0) {
		fprintf(stderr, "heapviz: SDL_RenderReadPixels: %s\n", SDL_GetError());
		free(buf);
		return NULL;
	}
	return buf;
}

static int map_key(SDL_Keycode k)
{
	switch (k) {
	case SDLK_LEFT:
		return RK_LEFT;
	case SDLK_RIGHT:
		return RK_RIGHT;
	case SDLK_UP:
		return RK_UP;
	case SDLK_DOWN:
		return RK_DOWN;
	case SDLK_HOME:
		return RK_HOME;
	case SDLK_END:
		return RK_END;
	case SDLK_PAGEUP:
		return RK_PAGEUP;
	case SDLK_PAGEDOWN:
		return RK_PAGEDOWN;
	case SDLK_ESCAPE:
		return RK_ESCAPE;
	case SDLK_F1:
		return RK_F1;
	case SDLK_F12:
		return RK_F12;
	case SDLK_KP_PLUS:
		return '+';
	case SDLK_KP_MINUS:
		return '-';
	default:
		return (k > 0 && k < 128) ? (int)k : RK_NONE;
	}
}

bool render_poll(render *r, struct rinput *in, int timeout_ms)
{
	(void)r;
	SDL_Event e;
	int got = timeout_ms > 0 ? SDL_WaitEventTimeout(&e, timeout_ms) : SDL_PollEvent(&e);
	memset(in, 0, sizeof *in);
	if (!got)
		return false;
	SDL_Keymod mod = SDL_GetModState();
	in->mod = ((mod & KMOD_SHIFT) ? RMOD_SHIFT : 0) | ((mod & KMOD_CTRL) ? RMOD_CTRL : 0);
	switch (e.type) {
	case SDL_QUIT:
		in->type = RI_QUIT;
		break;
	case SDL_KEYDOWN:
		in->type = RI_KEY;
		in->key = map_key(e.key.keysym.sym);
		break;
	case SDL_MOUSEBUTTONDOWN:
	case SDL_MOUSEBUTTONUP:
		in->type = e.type == SDL_MOUSEBUTTONDOWN ? RI_MOUSE_DOWN : RI_MOUSE_UP;
		in->x = e.button.x;
		in->y = e.button.y;
		in->button = e.button.button;
		break;
	case SDL_MOUSEMOTION:
		in->type = RI_MOUSE_MOVE;
		in->x = e.motion.x;
		in->y = e.motion.y;
		in->button = (e.motion.state & SDL_BUTTON_LMASK) ? 1 : 0;
		break;
	case SDL_MOUSEWHEEL:
		in->type = RI_WHEEL;
		in->wheel = e.wheel.y > 0 ? 1 : e.wheel.y < 0 ? -1 : 0;
		SDL_GetMouseState(&in->x, &in->y);
		break;
	case SDL_WINDOWEVENT:
		if (e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED ||
		    e.window.event == SDL_WINDOWEVENT_EXPOSED)
			in->type = RI_RESIZE;
		break;
	default:
		break;
	}
	return true;
}

uint32_t render_ticks(void)
{
	return SDL_GetTicks();
}
