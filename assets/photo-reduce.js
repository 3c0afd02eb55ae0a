/*
 * Inspection photos are reduced in the browser before they are sent: a phone photo of 5-10 MB
 * would not go through on a site's weak signal (and travels base64-encoded, 4/3 of its size).
 * A JPEG, PNG or WebP whose longest side is over 2048 px, or whose file is over 1.5 MB, becomes a
 * JPEG of at most 2048 px (quality 0.85), drawn upright. The original JPEG's EXIF (time, GPS) is
 * copied into it, with Orientation set to 1 because the pixels are upright already: the server
 * keeps that EXIF as evidence. Whatever the browser cannot decode (HEIC on most browsers) is
 * sent unchanged, and the server decides.
 *
 * dcc.Upload (react-dropzone 4) reads the files from the input's change event or the drop
 * event. This script catches those events first (capture phase on window, before React's
 * listener on its root), puts the reduced files in their place and dispatches the event again;
 * the re-dispatched events are remembered so they pass. No library: canvas and a few bytes of
 * EXIF parsing are all it takes.
 */
(function () {
    'use strict';

    var MAX_SIDE = 2048;
    var MAX_BYTES = 1.5 * 1024 * 1024;
    var QUALITY = 0.85;
    var UPLOAD = '.insp-upload';
    // EXIF must sit in the first segments of a JPEG; 256 KB covers them with room to spare.
    var HEAD_BYTES = 256 * 1024;
    var ours = new WeakSet();

    var canReplace = (function () {
        try {
            new DataTransfer();  // eslint-disable-line no-new
            return typeof createImageBitmap === 'function';
        } catch (e) {
            return false;
        }
    })();

    /* The APP1 "Exif" segment of a JPEG (marker included), or null. */
    function exifSegment(bytes) {
        if (bytes[0] !== 0xFF || bytes[1] !== 0xD8) {
            return null;
        }
        var pos = 2;
        while (pos + 4 <= bytes.length) {
            if (bytes[pos] !== 0xFF) {
                return null;
            }
            var marker = bytes[pos + 1];
            if (marker === 0xFF) {
                pos += 1;
                continue;
            }
            if (marker === 0xDA || marker === 0xD9) {
                return null;  // image data begins: there was no EXIF before it
            }
            if (marker === 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                pos += 2;
                continue;
            }
            var length = (bytes[pos + 2] << 8) | bytes[pos + 3];
            if (length < 2 || pos + 2 + length > bytes.length) {
                return null;
            }
            if (marker === 0xE1 && length >= 16 &&
                    String.fromCharCode.apply(null, bytes.subarray(pos + 4, pos + 10)) === 'Exif\0\0') {
                return bytes.slice(pos, pos + 2 + length);
            }
            pos += 2 + length;
        }
        return null;
    }

    /*
     * Orientation (0x0112) to 1, and the EXIF pixel size (0xA002, 0xA003) to the new one, in a
     * copied segment. False if the segment cannot be read: then it is left out, since EXIF that
     * still said "rotate" would turn the upright pixels over again.
     */
    function fitExif(segment, width, height) {
        var view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
        var tiff = 10;  // FF E1, length, "Exif\0\0"
        var order = view.getUint16(tiff);
        if (order !== 0x4949 && order !== 0x4D4D) {
            return false;
        }
        var little = order === 0x4949;
        var u16 = function (at) { return view.getUint16(at, little); };
        var u32 = function (at) { return view.getUint32(at, little); };
        var entries = function (offset, visit) {
            var start = tiff + offset;
            if (!offset || start + 2 > view.byteLength) {
                return;
            }
            for (var i = 0, n = u16(start); i < n; i += 1) {
                var entry = start + 2 + i * 12;
                if (entry + 12 > view.byteLength) {
                    return;
                }
                visit(u16(entry), u16(entry + 2), u32(entry + 4), entry);
            }
        };
        // A SHORT (3) or LONG (4) single value is held in the entry itself.
        var put = function (entry, type, count, value) {
            if (count !== 1) {
                return;
            }
            if (type === 3) {
                view.setUint16(entry + 8, value, little);
            } else if (type === 4) {
                view.setUint32(entry + 8, value, little);
            }
        };
        var details = 0;
        entries(u32(tiff + 4), function (tag, type, count, entry) {
            if (tag === 0x0112) {
                put(entry, type, count, 1);
            } else if (tag === 0x8769 && type === 4) {
                details = u32(entry + 8);
            }
        });
        entries(details, function (tag, type, count, entry) {
            if (tag === 0xA002) {
                put(entry, type, count, width);
            } else if (tag === 0xA003) {
                put(entry, type, count, height);
            }
        });
        return true;
    }

    function originalExif(file) {
        if (file.type !== 'image/jpeg') {
            return Promise.resolve(null);
        }
        return file.slice(0, HEAD_BYTES).arrayBuffer().then(function (buffer) {
            return exifSegment(new Uint8Array(buffer));
        });
    }

    function toBlob(canvas) {
        return new Promise(function (resolve) {
            canvas.toBlob(resolve, 'image/jpeg', QUALITY);
        });
    }

    function jpegName(name) {
        return (name || 'photo').replace(/\.[^./]*$/, '') + '.jpg';
    }

    /* The file to send instead of ``file``: reduced, or the original if that is better or all we can do. */
    function reduce(file) {
        if (!/^image\//.test(file.type)) {
            return Promise.resolve(file);
        }
        return createImageBitmap(file, {imageOrientation: 'from-image'}).then(function (bitmap) {
            var longest = Math.max(bitmap.width, bitmap.height);
            if (longest <= MAX_SIDE && file.size <= MAX_BYTES) {
                bitmap.close();
                return file;
            }
            var scale = Math.min(1, MAX_SIDE / longest);
            var canvas = document.createElement('canvas');
            canvas.width = Math.max(1, Math.round(bitmap.width * scale));
            canvas.height = Math.max(1, Math.round(bitmap.height * scale));
            var context = canvas.getContext('2d');
            context.fillStyle = '#fff';  // a transparent PNG would turn black in a JPEG
            context.fillRect(0, 0, canvas.width, canvas.height);
            context.imageSmoothingQuality = 'high';
            context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
            bitmap.close();
            return Promise.all([toBlob(canvas), originalExif(file)]).then(function (parts) {
                var blob = parts[0];
                var exif = parts[1];
                if (!blob || (scale === 1 && blob.size >= file.size)) {
                    return file;  // nothing gained
                }
                if (!exif || !fitExif(exif, canvas.width, canvas.height)) {
                    return new File([blob], jpegName(file.name), {type: 'image/jpeg', lastModified: file.lastModified});
                }
                return blob.arrayBuffer().then(function (buffer) {
                    var bytes = new Uint8Array(buffer);
                    // Right after SOI, where EXIF readers look first.
                    return new File([bytes.subarray(0, 2), exif, bytes.subarray(2)], jpegName(file.name),
                                    {type: 'image/jpeg', lastModified: file.lastModified});
                });
            });
        }).catch(function () {
            return file;
        });
    }

    /* Reduce ``files``, then hand them on with ``deliver`` (which dispatches the event again). */
    function intercept(event, files, box, deliver) {
        event.stopImmediatePropagation();
        box.classList.add('insp-upload-busy');
        Promise.all(files.map(reduce)).then(function (reduced) {
            var transfer = new DataTransfer();
            reduced.forEach(function (f) { transfer.items.add(f); });
            return transfer;
        }).catch(function () {
            var transfer = new DataTransfer();
            files.forEach(function (f) { transfer.items.add(f); });
            return transfer;
        }).then(function (transfer) {
            box.classList.remove('insp-upload-busy');
            var again = deliver(transfer);
            ours.add(again);
            event.target.dispatchEvent(again);
        });
    }

    function uploadBox(event) {
        var target = event.target;
        return canReplace && !ours.has(event) && target instanceof Element ? target.closest(UPLOAD) : null;
    }

    window.addEventListener('change', function (event) {
        var box = uploadBox(event);
        var input = event.target;
        if (!box || !(input instanceof HTMLInputElement) || input.type !== 'file' || !input.files.length) {
            return;
        }
        intercept(event, Array.prototype.slice.call(input.files), box, function (transfer) {
            input.files = transfer.files;
            return new Event('change', {bubbles: true});
        });
    }, true);

    window.addEventListener('drop', function (event) {
        var box = uploadBox(event);
        if (!box || !event.dataTransfer || !event.dataTransfer.files.length) {
            return;
        }
        event.preventDefault();  // react-dropzone would; the browser must not open the file
        intercept(event, Array.prototype.slice.call(event.dataTransfer.files), box, function (transfer) {
            return new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: transfer});
        });
    }, true);
})();
