/* uart.h - the ns16550a UART 0 of QEMU virt (polled, transmit only). */
#ifndef UART_H
#define UART_H

#include <stddef.h>

void uart_putc(char c);
void uart_write(const char *buf, size_t len);

#endif /* UART_H */
