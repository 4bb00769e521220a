/** An address on this machine only: a host name or address as a setting or a URL gives it (IPv6 with or without brackets). */
export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
