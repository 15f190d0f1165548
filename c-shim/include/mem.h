/* mem.h: the SDK heap (pvPort* allocator) and its os_* macros. */
#ifndef __MEM_H__
#define __MEM_H__

#include "c_types.h"

void *pvPortMalloc(size_t sz, const char *file, unsigned line, bool use_iram);
void  vPortFree(void *p, const char *file, unsigned line);
void *pvPortZalloc(size_t sz, const char *file, unsigned line);
void *pvPortRealloc(void *p, size_t n, const char *file, unsigned line);
void *pvPortCalloc(size_t count, size_t size, const char *file, unsigned line);
void *pvPortCallocIram(size_t count, size_t size, const char *file, unsigned line);
void *pvPortZallocIram(size_t sz, const char *file, unsigned line);

#ifndef MEMLEAK_DEBUG
#define mem_debug_file ""
#endif

#define os_free(s)           vPortFree(s, mem_debug_file, __LINE__)
#define os_malloc_iram(s)    pvPortMalloc(s, mem_debug_file, __LINE__, true)
#define os_malloc_dram(s)    pvPortMalloc(s, mem_debug_file, __LINE__, false)
#define os_malloc(s)         os_malloc_dram(s)
#define os_calloc_iram(l, s) pvPortCallocIram(l, s, mem_debug_file, __LINE__)
#define os_calloc_dram(l, s) pvPortCalloc(l, s, mem_debug_file, __LINE__)
#define os_calloc(l, s)      os_calloc_dram(l, s)
#define os_realloc(p, s)     pvPortRealloc(p, s, mem_debug_file, __LINE__)
#define os_zalloc_iram(s)    pvPortZallocIram(s, mem_debug_file, __LINE__)
#define os_zalloc_dram(s)    pvPortZalloc(s, mem_debug_file, __LINE__)
#define os_zalloc(s)         os_zalloc_dram(s)

#endif /* __MEM_H__ */
