// SPDX-License-Identifier: GPL-2.0
/* Command lines for control commands (see cmdline.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmdline.h"

void cmdline_free(char **words)
{
	size_t i;

	if (!words)
		return;
	for (i = 0; words[i]; i++)
		free(words[i]);
	free(words);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cmdline_split(const char *line, char ***out, struct errmsg *err)
{
	size_t len = strlen(line), n = 0, o;
	char **words = calloc(CMDLINE_MAX_WORDS + 1, sizeof(*words));
	const char *p = line;
	char *w, quote;

	*out = NULL;
	if (!words)
		return errmsg_set(err, ENOMEM, "out of memory");
	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		if (n == CMDLINE_MAX_WORDS) {
			cmdline_free(words);
			return errmsg_set(
				err, EINVAL,
				"more than %d words in the command line",
				CMDLINE_MAX_WORDS);
		}
		w = malloc(len + 1);
		if (!w) {
			cmdline_free(words);
			return errmsg_set(err, ENOMEM, "out of memory");
		}
		words[n++] = w;
		o = 0;
		quote = 0;
		for (; *p && (quote || !is_blank(*p)); p++) {
			if (quote == '\'') {
				if (*p == '\'')
					quote = 0;
				else
					w[o++] = *p;
			} else if (quote == '"') {
				if (*p == '"')
					quote = 0;
				else if (*p == '\\' &&
					 (p[1] == '"' || p[1] == '\\'))
					w[o++] = *++p;
				else
					w[o++] = *p;
			} else if (*p == '\'' || *p == '"') {
				quote = *p;
			} else if (*p == '\\' && p[1]) {
				w[o++] = *++p;
			} else {
				w[o++] = *p;
			}
		}
		w[o] = '\0';
		if (quote) {
			cmdline_free(words);
			return errmsg_set(
				err, EINVAL,
				"unterminated %c quote in the command line",
				quote);
		}
	}
	*out = words;
	return (int)n;
}

/*
 * The type an argument has in args_help ("cpu=N gva=ADDR"): a pointer to
 * the word after "name=", or NULL when the command does not list name.
 */
static const char *arg_type(const struct api_command *cmd, const char *name,
			    size_t *type_len)
{
	size_t len = strlen(name);
	const char *p;

	if (!cmd)
		return NULL;
	for (p = strstr(cmd->args_help, name); p; p = strstr(p + 1, name)) {
		bool start = p == cmd->args_help ||
			     strchr(" [(|", p[-1]) != NULL;

		if (start && p[len] == '=') {
			p += len + 1;
			*type_len = strspn(
				p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
			return p;
		}
	}
	return NULL;
}

/* A decimal integer that fits int64: true with *out set. */
static bool plain_integer(const char *s, json_int_t *out)
{
	const char *d = *s == '-' ? s + 1 : s;
	long long v;
	char *end;

	if (!*d || strspn(d, "0123456789") != strlen(d))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static json_t *typed_value(const struct api_command *cmd, const char *name,
			   const char *value, struct errmsg *err)
{
	size_t tlen = 0;
	const char *type = arg_type(cmd, name, &tlen);
	json_int_t i;

	if (type && ((tlen == 1 && *type == 'N') ||
		     (tlen == 4 && !strncmp(type, "ADDR", 4)))) {
		/* Hex and values past 2^63 go as strings the server parses. */
		if (plain_integer(value, &i))
			return json_integer(i);
		return json_string(value);
	}
	if (type && tlen == 4 && !strncmp(type, "BOOL", 4)) {
		if (!strcmp(value, "true") || !strcmp(value, "yes") ||
		    !strcmp(value, "on") || !strcmp(value, "1"))
			return json_true();
		if (!strcmp(value, "false") || !strcmp(value, "no") ||
		    !strcmp(value, "off") || !strcmp(value, "0"))
			return json_false();
		errmsg_set(err, EINVAL, "argument '%s' must be true or false",
			   name);
		return NULL;
	}
	if (type && tlen == 4 && !strncmp(type, "JSON", 4)) {
		json_error_t jerr;
		json_t *v = json_loads(value, JSON_DECODE_ANY, &jerr);

		if (!v)
			errmsg_set(err, EINVAL,
				   "argument '%s' must be JSON: %s", name,
				   jerr.text);
		return v;
	}
	if (type)
		return json_string(value);
	/* Not in the table (e.g. 'pause', or a newer server's command). */
	if (!strcmp(value, "true"))
		return json_true();
	if (!strcmp(value, "false"))
		return json_false();
	if (plain_integer(value, &i))
		return json_integer(i);
	return json_string(value);
}

json_t *cmdline_build_args(const struct api_command *cmd, int argc,
			   char *const argv[], struct errmsg *err)
{
	json_t *args = json_object(), *v;
	json_error_t jerr;
	char name[128];
	int i;

	for (i = 0; args && i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		bool raw;
		size_t len;

		if (!eq || eq == argv[i]) {
			errmsg_set(err, EINVAL,
				   "argument '%.200s' is not name=value",
				   argv[i]);
			goto fail;
		}
		raw = eq[-1] == ':';
		len = eq - argv[i] - raw;
		if (!len || len >= sizeof(name)) {
			errmsg_set(err, EINVAL,
				   "argument '%.200s' has no usable name",
				   argv[i]);
			goto fail;
		}
		memcpy(name, argv[i], len);
		name[len] = '\0';
		if (json_object_get(args, name)) {
			errmsg_set(err, EINVAL, "argument '%s' is given twice",
				   name);
			goto fail;
		}
		if (raw) {
			v = json_loads(eq + 1, JSON_DECODE_ANY, &jerr);
			if (!v) {
				errmsg_set(
					err, EINVAL,
					"argument '%s:=%.200s' is not JSON: %s",
					name, eq + 1, jerr.text);
				goto fail;
			}
		} else {
			v = typed_value(cmd, name, eq + 1, err);
			if (!v)
				goto fail;
		}
		json_object_set_new(args, name, v);
	}
	if (!args)
		errmsg_set(err, ENOMEM, "out of memory");
	return args;
fail:
	json_decref(args);
	return NULL;
}
