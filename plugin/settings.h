/* settings.h — every setting of the exporter, in one struct and one table.
 *
 * The table gives each setting its name (the part after "es."), type,
 * default, bounds and help text.  It drives the Wireshark preferences, the
 * `-X es.NAME=VALUE` options and validation, so a setting is declared once.
 * Plain C + glib: no epan headers, so it is unit-tested on its own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef ES_SETTINGS_H
#define ES_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#include "indexname.h"
#include "sink.h"

typedef enum { ES_COMPRESS_AUTO,
               ES_COMPRESS_OFF,
               ES_COMPRESS_GZIP } es_compression;
typedef enum { ES_NAMES_AUTO,
               ES_NAMES_DOTTED,
               ES_NAMES_UNDERSCORE } es_name_style;
typedef enum { ES_PROFILE_FULL,
               ES_PROFILE_CORE } es_profile;

typedef struct es_settings {
    bool enabled;
    char *node;
    char *index;
    char *data_stream; /* non-empty: documents go to this data stream */
    char *ilm_policy;
    unsigned bulk_kib;
    unsigned bulk_docs;
    unsigned bulk_age_ms;
    int compression; /* es_compression */
    unsigned requests;
    unsigned queue;
    char *filter;
    char *protocols;
    char *exclude;
    int profile; /* es_profile */
    bool ecs;
    bool raw;
    bool resolved;
    bool columns;
    bool value_names;
    unsigned max_bytes;
    int name_style; /* es_name_style */
    bool template;
    char *dump_template;
    char *cloud_id; /* non-empty: the node is this Elastic Cloud deployment */
    char *user;
    char *password;
    char *api_key; /* after es_settings_validate(): the encoded form */
    char *secrets_file;
    char *ca_file;
    char *ca_dir;
    char *ca_fingerprint;
    char *client_cert;
    char *client_key;
    char *client_key_password; /* of an encrypted client_key */
    bool tls_verify;
    bool allow_plain_http_auth;
    unsigned timeout_s;
    unsigned retry_max_s;
    unsigned flush_timeout_s;
    char *dead_letter_dir; /* empty: es_deadletter_default_dir() */
    unsigned dead_letter_mib;
    char *spool_dir; /* empty: es_spool_default_dir() */
    unsigned spool_mib;
    char *kibana_url;   /* the GUI's Open in Kibana */
    char *capture_id;   /* non-empty: instead of the content-derived id */
    char *capture_name; /* non-empty: es.capture instead of the file name */
    char *frame_map;    /* non-empty: this run reads a part of a split capture */
    char *time_origin;  /* non-empty: frame.time_relative from this time */
} es_settings;

/* Room callers may reserve for per-setting arrays (checked by a unit test). */
#define ES_N_OPTS_MAX 64

typedef enum { ES_OPT_BOOL,
               ES_OPT_UINT,
               ES_OPT_ENUM,
               ES_OPT_STRING,
               ES_OPT_SECRET } es_opt_type;

typedef struct es_opt_desc {
    const char *name; /* preference name, without "es." */
    const char *title;
    const char *help;
    es_opt_type type;
    size_t offset;            /* of the field in es_settings */
    unsigned def, min, max;   /* BOOL, UINT, ENUM defaults and bounds */
    const char *def_str;      /* STRING default */
    const char *const *names; /* ENUM value names, NULL-terminated */
} es_opt_desc;

extern const es_opt_desc es_opts[];
extern const size_t es_n_opts;

const es_opt_desc *es_opt_find(const char *name);

/* Fills s with the defaults. */
void es_settings_init(es_settings *s);
void es_settings_clear(es_settings *s);
void es_settings_copy(es_settings *dst, const es_settings *src);
/* Copies one setting d from src into dst (dst's old string is freed). */
void es_settings_copy_opt(es_settings *dst, const es_settings *src, const es_opt_desc *d);
bool es_settings_equal(const es_settings *a, const es_settings *b);

/* Where documents go: the data stream if one is set, else the index pattern. */
const char *es_settings_target(const es_settings *s);

/* Sets one setting from text, as given to -X es.NAME=TEXT.  On error, the
 * message names the setting and the accepted values. */
bool es_settings_set(es_settings *s, const es_opt_desc *d, const char *text, GError **err);

/* Sets a BOOL, UINT or ENUM setting from a number, checking its bounds. */
bool es_settings_set_number(es_settings *s, const es_opt_desc *d, unsigned v, GError **err);
/* Sets a STRING or SECRET setting (NULL means empty). */
void es_settings_set_string(es_settings *s, const es_opt_desc *d, const char *v);

/* The accepted values of a setting, for messages and help. */
char *es_opt_accepted(const es_opt_desc *d);

/* Cross-setting checks (node syntax, index pattern, certificate files,
 * pin, credentials over plain HTTP).  Fills in what is unset from
 * es.secrets_file, then from ES_PASSWORD / ES_API_KEY; turns es.cloud_id
 * into es.node and es.api_key into its encoded form. */
bool es_settings_validate(es_settings *s, GError **err);

#define ES_SETTINGS_ERROR (es_settings_error_quark())
GQuark es_settings_error_quark(void);

#endif
