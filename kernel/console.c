/* console.c - kprintf and friends on UART 0 (newline becomes CR LF-free '\n';
 * QEMU's -nographic terminal shows '\n' fine). */
#include "console.h"
#include "format.h"
#include "uart.h"

static void console_put(void *ctx, char c)
{
	(void)ctx;
	uart_putc(c);
}

int kvprintf(const char *fmt, va_list ap)
{
	return format_v(console_put, 0, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

void kputs(const char *s)
{
	while (*s)
		uart_putc(*s++);
	uart_putc('\n');
}
