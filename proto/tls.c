/* SPDX-License-Identifier: Apache-2.0 */
/* Implemented next to its header; see tls.h. */
