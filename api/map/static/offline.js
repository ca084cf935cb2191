/* aralrisk map, offline copy (aralrisk map --out DIR): point values and report links.
 *
 * The folder's page embeds every spatial layer's values on the build grid (api/map/
 * offline.py: 16-bit quantised, gzip, base64) and the path of each district report. Here
 * the embedded data source learns to answer a click as GET /point does (the cell holding
 * the point: its layers' values and classes, the composite hazard under the build's
 * weights, the hazards whose exposure threshold it exceeds) and to link the reports.
 * Nothing here runs on the served map or in a single-file export without these data.
 */
(function (AR) {
  'use strict';

  const NODATA = 65535;

  function bytes(base64) {
    const text = atob(base64);
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }

  /** A packed layer as a Float32Array of the grid (NaN for no data). */
  async function unpack(packed) {
    const stream = new Blob([bytes(packed.data)]).stream().pipeThrough(new DecompressionStream('gzip'));
    const q = new Uint16Array(await new Response(stream).arrayBuffer());
    const values = new Float32Array(q.length);
    for (let i = 0; i < q.length; i++) values[i] = q[i] === NODATA ? NaN : packed.offset + packed.scale * q[i];
    return values;
  }

  /** Level of a value against increasing thresholds (geo.index.value_level). */
  function level(value, thresholds) {
    if (value === null) return -2;
    if (!thresholds) return -1;
    let k = 0;
    thresholds.forEach(function (t) { if (value >= t) k += 1; });
    return k;
  }

  function install(data, source) {
    if (data.reports) {
      source.report = function (code) { return data.reports[code] || null; };
    }
    if (!data.points || !data.points.grid) return;
    const points = data.points;
    const grid = points.grid;
    let unpacked = null;
    function values() {
      if (!unpacked) {
        unpacked = Promise.all(points.layers.map(function (l) { return unpack(l); }).concat(
          points.composite ? [unpack(points.composite)] : []));
      }
      return unpacked;
    }
    source.point = async function (lon, lat) {
      const col = Math.floor((lon - grid.west) / grid.dx);
      const row = Math.floor((grid.north - lat) / grid.dy);
      if (row < 0 || col < 0 || row >= grid.height || col >= grid.width) {
        throw new Error(AR.t('the point is outside the region of this build'));
      }
      const arrays = await values();
      const cell = row * grid.width + col;
      const byId = {};
      const layers = points.layers.map(function (l, i) {
        const v = arrays[i][cell];
        const value = Number.isNaN(v) ? null : v;
        byId[l.id] = value;
        return {id: l.id, title: l.title, units: l.units, role: l.role, value: value,
          level: l.role === 'hazard' ? level(value, l.levels) : (value === null ? -2 : -1)};
      });
      const composite = points.composite ? arrays[arrays.length - 1][cell] : NaN;
      const exposedTo = points.exposure.filter(function (r) {
        return byId[r.layer] !== null && byId[r.layer] !== undefined && byId[r.layer] > r.threshold;
      });
      const known = points.exposure.some(function (r) { return byId[r.layer] !== null && byId[r.layer] !== undefined; });
      return {
        lon: lon, lat: lat, layers: layers,
        composite: Number.isNaN(composite) ? null : composite,
        exposed: known ? exposedTo.length > 0 : null,
        exposed_to: exposedTo,
      };
    };
  }

  // The embedded source is made by util.js's factory when main.js starts: wrap the
  // factory, so the source answers points and links reports from its first use (a shared
  // URL may open a district's popup before the page is ready).
  const make = AR.embeddedSource;
  if (make) {
    AR.embeddedSource = function (data) {
      const source = make(data);
      if (data) install(data, source);
      return source;
    };
  }
})(window.aralrisk = window.aralrisk || {});
