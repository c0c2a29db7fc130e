// Package files stores the files people share in chat rooms and serves
// them back over HTTP.
//
// A [Store] takes an upload as a stream ([Store.Put]), gives it an
// unguessable id (128 random bits), and serves it at /files/{id}/{name}
// ([Store.ServeHTTP]). With a directory ([Options.Dir]) each file is kept
// on disk beside a small JSON sidecar and survives restarts; without one
// the files live in memory, so the budget is small by default (64 MiB).
// Either way the total size is bounded by [Options.Budget], shared
// fairly among uploaders: a finished upload that takes the files past it
// removes the oldest file of whoever holds most, so that one uploader
// filling the budget removes its own files first; each uploader's files
// are also held to [Options.Share], past which its own oldest go.
// Uploads in progress are bounded apart ([Options.Pending], and the
// uploader's share), never remove a file, and give their room back as
// soon as they stall ([Options.IdleTimeout]).
//
// # Safety
//
// A file anyone can upload and everyone in the room opens is a way to
// run script in other people's browsers under the chat's origin (stored
// cross-site scripting) unless the bytes are served so that no browser
// will ever treat them as a page. The rules here follow from that:
//
//   - The media type is sniffed from the first 512 bytes
//     ([http.DetectContentType], which knows PNG, JPEG, GIF and WebP);
//     the uploader's claimed type and extension are never used, so a file
//     named cat.png holding HTML is served as text/html.
//   - Every response carries X-Content-Type-Options: nosniff, so the
//     browser does not second-guess the type, and a Content-Security-Policy
//     with sandbox and default-src 'none', so even a document rendered
//     anyway cannot run script, load anything or reach the chat's origin.
//   - Only PNG, JPEG, GIF and WebP are served inline, to be previewed;
//     everything else, HTML, SVG (sniffed as XML or text), PDF and text
//     included, is served as an attachment, to be downloaded.
//   - The uploader's file name is cleaned ([CleanName]) before it is
//     shown or used: no path, no control or bidirectional-override
//     characters (which can make "exe.png" of "gnp.exe"), bounded length.
//   - An upload is read in small pieces and refused as soon as it passes
//     [Options.MaxFile]; a file is never held whole in memory on its way to
//     disk, and uploads in progress count as they grow.
package files
