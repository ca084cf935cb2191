/* aralrisk map: small helpers shared by the other scripts (DOM, numbers, data sources).
 *
 * Text from data is always set with textContent, never as HTML, and no element gets a
 * style attribute in markup: the page's Content-Security-Policy allows neither inline
 * style attributes nor scripts that were not in the generated page.
 */
(function (AR) {
  'use strict';

  /** Create an element: el('td', {className: 'x', title: 't'}, ['text', child]). */
  AR.el = function (tag, props, children) {
    const node = document.createElement(tag);
    Object.entries(props || {}).forEach(function ([key, value]) {
      if (value === undefined || value === null) return;
      if (key === 'className' || key === 'textContent' || key === 'href' || key === 'value') {
        node[key] = value;
      } else if (key.startsWith('on')) {
        node.addEventListener(key.slice(2), value);
      } else {
        node.setAttribute(key, value);
      }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  };

  let messages = null;

  /** The page's language (``<html lang>``, set by the server): kk, ru or en. */
  AR.lang = function () {
    return document.documentElement.lang || 'en';
  };

  /** A message in the page's language: t('rank {rank} of {count}', {rank: 1, count: 9}).
   *  The translations come from the server (the JSON block #ar-messages, made from the
   *  .po catalogs); a message without one stays in English. Read on first use, as the
   *  scripts of an offline copy run before the block is parsed. */
  AR.t = function (message, values) {
    if (messages === null) {
      const block = document.getElementById('ar-messages');
      messages = block ? JSON.parse(block.textContent) : {};
    }
    const text = messages[message] || message;
    if (!values) return text;
    return text.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  };

  /** A district's official name in the page's language (api/locale/districts.toml). */
  AR.districtName = function (p) {
    const lang = AR.lang();
    const names = (AR.app && AR.app.cfg.district_names[p.code]) || {};
    const own = {kk: p.name_kk, ru: p.name_ru, en: p.name};
    return names[lang] || own[lang] || p.name;
  };

  /** A district's names in Kazakh, Russian and English: [{lang, text}]. */
  AR.districtNames = function (p) {
    const names = (AR.app && AR.app.cfg.district_names[p.code]) || {kk: p.name_kk, ru: p.name_ru, en: p.name};
    return ['kk', 'ru', 'en'].map(function (lang) { return {lang: lang, text: names[lang]}; });
  };

  /** A colour chip; its colour is set through the CSSOM, which the CSP allows. */
  AR.swatch = function (color, className) {
    const chip = AR.el('span', {className: 'ar-swatch ' + (className || ''), 'aria-hidden': 'true'});
    chip.style.background = color;
    return chip;
  };

  /** The page language's decimal and group marks (CLDR, from the server's ar-config
   *  block), or null to leave them to the browser. Read on first use, as AR.t reads
   *  its messages. */
  let marks;
  function numberMarks() {
    if (marks === undefined) {
      const block = document.getElementById('ar-config');
      const cfg = (AR.app && AR.app.cfg) || (block ? JSON.parse(block.textContent) : {});
      marks = cfg.number && cfg.number.decimal ? cfg.number : null;
    }
    return marks;
  }

  /** ``value`` with Intl's digits and rounding and the page language's marks: the
   *  browser's own Kazakh data may be English (78,568.5 for 78 568,5). */
  function formatNumber(value, options) {
    const own = numberMarks();
    if (own === null) return new Intl.NumberFormat(AR.lang(), options).format(value);
    return new Intl.NumberFormat('en', options).formatToParts(value).map(function (part) {
      if (part.type === 'decimal') return own.decimal;
      if (part.type === 'group') return own.group;
      return part.value;
    }).join('');
  }

  /** A number in the page's language: 1,234 / 1 234 (null shown as an en dash). */
  AR.fmt = function (value, digits) {
    if (value === null || value === undefined || Number.isNaN(value)) return '–';
    return formatNumber(value, {maximumFractionDigits: digits === undefined ? 1 : digits});
  };

  /** A 0-10 score with exactly one decimal (6.0, not 6: a table of scores lines up). */
  AR.score = function (value) {
    if (value === null || value === undefined || Number.isNaN(value)) return '–';
    return formatNumber(value, {minimumFractionDigits: 1, maximumFractionDigits: 1});
  };

  /** A number of people: 1,234 (null as an en dash). */
  AR.people = function (value) {
    return AR.fmt(value, 0);
  };

  /** A share 0-1 as a percentage without decimals (null as an en dash). */
  AR.percent = function (share) {
    if (share === null || share === undefined || Number.isNaN(share)) return '–';
    return AR.fmt(100 * share, 0) + '%';
  };

  const LEVEL_CLASS = {'-2': 'nodata', '-1': 'na', 0: 'vlow', 1: 'low', 2: 'medium', 3: 'high'};

  /** A hazard level (ThinkHazard! code) as a chip in the hazard-level palette. */
  AR.levelChip = function (level, labels) {
    const code = level === null || level === undefined ? -2 : level;
    return AR.el('span', {
      className: 'ar-level ar-level-' + (LEVEL_CLASS[code] || 'nodata'),
      textContent: labels[String(code)] || AR.t('no data'),
    });
  };

  /** A layer title without its parenthesis, for tight places (tables, weight lists). */
  AR.shortTitle = function (title) {
    return String(title).split(' (')[0];
  };

  /** Path and query of a URL, so every request stays on the page's own origin. */
  AR.samePath = function (url) {
    const parsed = new URL(url, document.baseURI);
    // The URL parser escapes the braces of a tile template: put them back.
    return decodeURI(parsed.pathname) + parsed.search;
  };

  /** Fill {name} placeholders of a route, each value escaped as a path segment. */
  AR.route = function (template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return encodeURIComponent(values[key]);
    });
  };

  /** GET JSON; a problem-details answer becomes an Error with its one-sentence detail. */
  AR.fetchJSON = async function (url) {
    const response = await fetch(url, {headers: {Accept: 'application/json', 'Accept-Language': AR.lang()}});
    let body = null;
    try {
      body = await response.json();
    } catch (err) {
      body = null;
    }
    if (!response.ok) {
      const detail = body && body.detail ? body.detail : response.status + ' ' + response.statusText;
      throw new Error(detail);
    }
    return body;
  };

  function query(params) {
    return '?' + new URLSearchParams(params).toString();
  }

  /** A tile layer spec from a TileJSON document. */
  function tileSpec(tilejson) {
    const b = tilejson.bounds;
    return {
      tiles: AR.samePath(tilejson.tiles[0]),
      bounds: [[b[1], b[0]], [b[3], b[2]]],
      minzoom: tilejson.minzoom,
      maxzoom: tilejson.maxzoom,
    };
  }

  /** Data from the API of the server the page came from. */
  AR.apiSource = function (routes) {
    const compositeBase = {};
    return {
      live: true,
      // ?lang=: titles, descriptions and legends in the page's language (the browser's
      // Accept-Language may name another).
      catalog: function () { return AR.fetchJSON(routes.layers + query({lang: AR.lang()})); },
      profiles: function () { return AR.fetchJSON(routes.profiles + query({lang: AR.lang()})); },
      hydrography: function () { return AR.fetchJSON(routes.hydrography); },
      districts: function (profile, method) {
        return AR.fetchJSON(routes.districts + query({profile: profile, method: method}));
      },
      point: function (lon, lat) {
        return AR.fetchJSON(routes.point + query({lon: lon.toFixed(5), lat: lat.toFixed(5)}));
      },
      basemap: async function () { return tileSpec(await AR.fetchJSON(routes.basemap)); },
      layer: async function (id) {
        return tileSpec(await AR.fetchJSON(AR.route(routes.layer_tilejson, {id: id})));
      },
      /** Composite hazard tiles: the TileJSON once, then only the query changes. */
      composite: async function (profile, method) {
        if (!compositeBase.hazard) {
          const spec = tileSpec(await AR.fetchJSON(routes.composite));
          spec.tiles = spec.tiles.split('?')[0];
          compositeBase.hazard = spec;
        }
        const spec = Object.assign({}, compositeBase.hazard);
        spec.tiles += query({profile: profile, method: method});
        return spec;
      },
      report: function (code) { return AR.route(routes.report, {code: code}) + query({lang: AR.lang()}); },
    };
  };

  /** Data embedded in a static export (aralrisk map --out): no server needed. */
  AR.embeddedSource = function (data) {
    function image(key) {
      const found = data.images[key];
      if (!found) return Promise.reject(new Error(AR.t('this export has no image of {key}', {key: key})));
      return Promise.resolve({image: found.url, bounds: found.bounds});
    }
    return {
      live: false,
      catalog: function () { return Promise.resolve(data.layers); },
      profiles: function () { return Promise.resolve(data.profiles); },
      hydrography: function () {
        return data.hydrography ? Promise.resolve(data.hydrography) : Promise.reject(new Error(AR.t('no water outlines')));
      },
      districts: function (profile, method) {
        const scored = data.scores[profile + '|' + method];
        if (!scored) return Promise.reject(new Error(AR.t('this export has no results for {profile} / {method}', {profile: profile, method: method})));
        const features = scored.order.map(function (code) {
          const shape = data.districts[code];
          return {type: 'Feature', id: code, geometry: shape.geometry,
            properties: Object.assign({}, shape.properties, scored.properties[code])};
        });
        return Promise.resolve({type: 'FeatureCollection', features: features,
          profile: profile, method: method, weights: scored.weights});
      },
      point: function () {
        return Promise.reject(new Error(AR.t('values at a point need the live service (aralrisk serve)')));
      },
      basemap: function () { return image('hillshade'); },
      layer: function (id) { return image(id); },
      composite: function (profile, method) { return image('hazard|' + profile + '|' + method); },
      report: function () { return null; },
    };
  };
})(window.aralrisk = window.aralrisk || {});
