/* uart.c - polled transmit on QEMU virt's ns16550a UART 0.
 * QEMU needs no initialisation; on hardware the boot firmware has set it up. */
#include <stdint.h>

#include "memlayout.h"
#include "uart.h"

#define UART_THR 0        /* transmit holding register (write) */
#define UART_LSR 5        /* line status register */
#define UART_LSR_THRE 0x20 /* LSR bit: transmit holding register empty */

static inline volatile uint8_t *uart_reg(unsigned off)
{
	return (volatile uint8_t *)(VIRT_UART0 + off);
}

void uart_putc(char c)
{
	while ((*uart_reg(UART_LSR) & UART_LSR_THRE) == 0)
		;
	*uart_reg(UART_THR) = (uint8_t)c;
}

void uart_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		uart_putc(buf[i]);
}
