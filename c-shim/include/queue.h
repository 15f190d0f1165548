/*
 * queue.h: the singly-linked list (SLIST) and tail queue (STAILQ) macros the
 * NONOS SDK ships (the BSD <sys/queue.h> family; user_interface.h uses them
 * for bss_info and station_info). Same guard as the C library's
 * <sys/queue.h>, whose macros behave the same, so either may come first.
 */
#ifndef _SYS_QUEUE_H_
#define _SYS_QUEUE_H_

#define QMD_SAVELINK(name, link)
#define TRASHIT(x)

/* ---- singly-linked list ---- */
#define SLIST_HEAD(name, type) \
    struct name { struct type *slh_first; }
#define SLIST_HEAD_INITIALIZER(head) { NULL }
#define SLIST_ENTRY(type) \
    struct { struct type *sle_next; }

#define SLIST_EMPTY(head) ((head)->slh_first == NULL)
#define SLIST_FIRST(head) ((head)->slh_first)
#define SLIST_NEXT(elm, field) ((elm)->field.sle_next)

#define SLIST_FOREACH(var, head, field) \
    for ((var) = SLIST_FIRST((head)); (var); (var) = SLIST_NEXT((var), field))
#define SLIST_FOREACH_SAFE(var, head, field, tvar) \
    for ((var) = SLIST_FIRST((head)); (var) && ((tvar) = SLIST_NEXT((var), field), 1); (var) = (tvar))
#define SLIST_FOREACH_PREVPTR(var, varp, head, field) \
    for ((varp) = &SLIST_FIRST((head)); ((var) = *(varp)) != NULL; (varp) = &SLIST_NEXT((var), field))

#define SLIST_INIT(head) do { SLIST_FIRST((head)) = NULL; } while (0)

#define SLIST_INSERT_AFTER(slistelm, elm, field) do { \
        SLIST_NEXT((elm), field) = SLIST_NEXT((slistelm), field); \
        SLIST_NEXT((slistelm), field) = (elm); \
    } while (0)

#define SLIST_INSERT_HEAD(head, elm, field) do { \
        SLIST_NEXT((elm), field) = SLIST_FIRST((head)); \
        SLIST_FIRST((head)) = (elm); \
    } while (0)

#define SLIST_REMOVE_AFTER(elm, field) do { \
        SLIST_NEXT(elm, field) = SLIST_NEXT(SLIST_NEXT(elm, field), field); \
    } while (0)

#define SLIST_REMOVE_HEAD(head, field) do { \
        SLIST_FIRST((head)) = SLIST_NEXT(SLIST_FIRST((head)), field); \
    } while (0)

#define SLIST_REMOVE(head, elm, type, field) do { \
        if (SLIST_FIRST((head)) == (elm)) { \
            SLIST_REMOVE_HEAD((head), field); \
        } else { \
            struct type *slist_cur_ = SLIST_FIRST((head)); \
            while (SLIST_NEXT(slist_cur_, field) != (elm)) \
                slist_cur_ = SLIST_NEXT(slist_cur_, field); \
            SLIST_REMOVE_AFTER(slist_cur_, field); \
        } \
    } while (0)

/* ---- singly-linked tail queue ---- */
#define STAILQ_HEAD(name, type) \
    struct name { struct type *stqh_first; struct type **stqh_last; }
#define STAILQ_HEAD_INITIALIZER(head) { NULL, &(head).stqh_first }
#define STAILQ_ENTRY(type) \
    struct { struct type *stqe_next; }

#define STAILQ_EMPTY(head) ((head)->stqh_first == NULL)
#define STAILQ_FIRST(head) ((head)->stqh_first)
#define STAILQ_NEXT(elm, field) ((elm)->field.stqe_next)

/* The last element, found from the address of its link field. */
#define STAILQ_LAST(head, type, field) \
    (STAILQ_EMPTY((head)) ? NULL : \
     ((struct type *)(void *)((char *)((head)->stqh_last) - __builtin_offsetof(struct type, field))))

#define STAILQ_FOREACH(var, head, field) \
    for ((var) = STAILQ_FIRST((head)); (var); (var) = STAILQ_NEXT((var), field))
#define STAILQ_FOREACH_SAFE(var, head, field, tvar) \
    for ((var) = STAILQ_FIRST((head)); (var) && ((tvar) = STAILQ_NEXT((var), field), 1); (var) = (tvar))

#define STAILQ_INIT(head) do { \
        STAILQ_FIRST((head)) = NULL; \
        (head)->stqh_last = &STAILQ_FIRST((head)); \
    } while (0)

#define STAILQ_CONCAT(head1, head2) do { \
        if (!STAILQ_EMPTY((head2))) { \
            *(head1)->stqh_last = (head2)->stqh_first; \
            (head1)->stqh_last = (head2)->stqh_last; \
            STAILQ_INIT((head2)); \
        } \
    } while (0)

#define STAILQ_INSERT_AFTER(head, tqelm, elm, field) do { \
        if ((STAILQ_NEXT((elm), field) = STAILQ_NEXT((tqelm), field)) == NULL) \
            (head)->stqh_last = &STAILQ_NEXT((elm), field); \
        STAILQ_NEXT((tqelm), field) = (elm); \
    } while (0)

#define STAILQ_INSERT_HEAD(head, elm, field) do { \
        if ((STAILQ_NEXT((elm), field) = STAILQ_FIRST((head))) == NULL) \
            (head)->stqh_last = &STAILQ_NEXT((elm), field); \
        STAILQ_FIRST((head)) = (elm); \
    } while (0)

#define STAILQ_INSERT_TAIL(head, elm, field) do { \
        STAILQ_NEXT((elm), field) = NULL; \
        *(head)->stqh_last = (elm); \
        (head)->stqh_last = &STAILQ_NEXT((elm), field); \
    } while (0)

/* Puts the chain elm_chead..elm_ctail (already linked) at the head. */
#define STAILQ_INSERT_CHAIN_HEAD(head, elm_chead, elm_ctail, field) do { \
        if ((STAILQ_NEXT(elm_ctail, field) = STAILQ_FIRST(head)) == NULL) \
            (head)->stqh_last = &STAILQ_NEXT(elm_ctail, field); \
        STAILQ_FIRST(head) = (elm_chead); \
    } while (0)

#define STAILQ_REMOVE_AFTER(head, elm, field) do { \
        if ((STAILQ_NEXT(elm, field) = STAILQ_NEXT(STAILQ_NEXT(elm, field), field)) == NULL) \
            (head)->stqh_last = &STAILQ_NEXT((elm), field); \
    } while (0)

#define STAILQ_REMOVE_HEAD(head, field) do { \
        if ((STAILQ_FIRST((head)) = STAILQ_NEXT(STAILQ_FIRST((head)), field)) == NULL) \
            (head)->stqh_last = &STAILQ_FIRST((head)); \
    } while (0)

#define STAILQ_REMOVE(head, elm, type, field) do { \
        if (STAILQ_FIRST((head)) == (elm)) { \
            STAILQ_REMOVE_HEAD((head), field); \
        } else { \
            struct type *stailq_cur_ = STAILQ_FIRST((head)); \
            while (STAILQ_NEXT(stailq_cur_, field) != (elm)) \
                stailq_cur_ = STAILQ_NEXT(stailq_cur_, field); \
            STAILQ_REMOVE_AFTER(head, stailq_cur_, field); \
        } \
    } while (0)

#define STAILQ_SWAP(head1, head2, type) do { \
        struct type *swap_first_ = STAILQ_FIRST(head1); \
        struct type **swap_last_ = (head1)->stqh_last; \
        STAILQ_FIRST(head1) = STAILQ_FIRST(head2); \
        (head1)->stqh_last = (head2)->stqh_last; \
        STAILQ_FIRST(head2) = swap_first_; \
        (head2)->stqh_last = swap_last_; \
        if (STAILQ_EMPTY(head1)) \
            (head1)->stqh_last = &STAILQ_FIRST(head1); \
        if (STAILQ_EMPTY(head2)) \
            (head2)->stqh_last = &STAILQ_FIRST(head2); \
    } while (0)

#endif /* _SYS_QUEUE_H_ */
